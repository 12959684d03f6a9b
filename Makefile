# SPDX-License-Identifier: Apache-2.0
# airlock: `make` builds build/airlock; `make check` runs every suite;
# `make static` builds the static binary; `make demo` runs the example.
.DELETE_ON_ERROR:
.SUFFIXES:
# Keep intermediate objects (and keep make quiet after the closing test line).
.SECONDARY:

VERSION := $(shell cat VERSION)
PKGS := libcurl openssl jansson yaml-0.1 expat zlib minizip
CC ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The site is hashed in a worker thread while the first requests run (site.c).
THREADS := -pthread
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
BASE_CFLAGS := -std=c11 $(THREADS) $(WARN) -D_GNU_SOURCE -DAL_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS)
CFLAGS ?= -O2 -g
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

LIB_SRC := $(sort $(shell find src -name '*.c' ! -name main.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
LIB_OBJ := $(LIB_SRC:%.c=build/obj/%.o)
SAN_OBJ := $(LIB_SRC:%.c=build/san/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=build/san/%.o)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOLS := $(TOOL_SRC:tests/tools/%.c=build/tests/%)
HDRS := $(shell find src -name '*.h') $(wildcard tests/unit/*.h)

.PHONY: all check unit static image-rootfs demo bench fuzz lint format clean deps

all: build/airlock

build/obj/%.o: %.c $(HDRS) VERSION
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

build/san/%.o: %.c $(HDRS) VERSION
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -c $< -o $@

build/airlock: build/obj/src/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) $(THREADS) -o $@ $^ $(PKG_LIBS)

# The same binary built with ASan+UBSan, for the integration suites.
build/airlock-san: build/san/src/main.o $(SAN_OBJ)
	$(CC) $(SAN_FLAGS) $(THREADS) -o $@ $^ $(PKG_LIBS)

build/tests/unit: $(UNIT_OBJ) $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(THREADS) -o $@ $^ $(PKG_LIBS)

# Small C programs the Node and shell suites drive (e.g. the SigV4 signer).
build/tests/%: build/san/tests/tools/%.o $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(THREADS) -o $@ $^ $(PKG_LIBS)

unit: build/tests/unit
	./build/tests/unit

# libFuzzer targets (clang): tests/fuzz/fuzz_X.c -> build/fuzz/fuzz_X, linked
# with the library built with ASan+UBSan. `make fuzz` runs each for
# FUZZ_SECONDS on its committed seed corpus.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60

build/fuzz/obj/%.o: %.c $(HDRS) VERSION
	@mkdir -p $(dir $@)
	@echo "  CC-FUZZ $<"
	@clang $(BASE_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@

build/fuzz/%: build/fuzz/obj/tests/fuzz/%.o $(FUZZ_OBJ)
	clang -fsanitize=fuzzer,address,undefined $(THREADS) -o $@ $^ $(PKG_LIBS)

fuzz: $(FUZZ_BIN)
	./scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_BIN)

# Installs what the suites need (idempotent), then runs them all; the last
# line is "N passed, N failed".
check: build/airlock build/airlock-san build/tests/unit $(TOOLS)
	./scripts/install-deps --test
	./tests/run-all

deps:
	./scripts/install-deps

# The example app's journey against the AWS double: deploy, redeploy, automatic and manual rollback.
demo: ; ./scripts/demo

static:
	./scripts/build-static.sh

image-rootfs: static
	./scripts/image-rootfs.sh

# airlock against `aws s3 sync` and rclone on the AWS double (not part of check): bench/results.md.
bench: ; ./bench/run

lint:
	./scripts/lint

format:
	clang-format -i $(shell find src tests/unit tests/fuzz -name '*.[ch]')

clean:
	rm -rf build

# --- static build (scripts/build-static.sh drives these) ---
# build/airlock-static: main.c and $(LIB_SRC) compiled with BASE_CFLAGS into
# build/static-obj/, linked -static against the minimal libcurl that the
# script installs under STATIC_CURL_PREFIX and Debian's static OpenSSL,
# jansson, libyaml, expat, zlib and minizip, then stripped. glibc's warnings
# "Using 'getaddrinfo' (dlopen, gethostbyname, ...) in statically linked
# applications requires at runtime the shared libraries ..." are expected
# and left out of the output (full log: build/static-obj/link.log): the files
# and dns NSS modules are built into libc.a (see scripts/build-static.sh).
STATIC_OBJ := $(addprefix build/static-obj/,$(patsubst %.c,%.o,src/main.c $(LIB_SRC)))
ifneq ($(STATIC_CURL_PREFIX),)
STATIC_CURL_LIB := $(STATIC_CURL_PREFIX)/lib/libcurl.a
STATIC_PKG := PKG_CONFIG_PATH=$(STATIC_CURL_PREFIX)/lib/pkgconfig pkg-config --define-prefix
STATIC_CFLAGS := -I$(STATIC_CURL_PREFIX)/include -DCURL_STATICLIB $(BASE_CFLAGS) \
	$(shell $(STATIC_PKG) --cflags $(PKGS))
STATIC_LIBS := $(shell $(STATIC_PKG) --static --libs $(PKGS))

build/static-obj/%.o: %.c $(HDRS) VERSION $(STATIC_CURL_LIB)
	@mkdir -p $(dir $@)
	@echo "  CC-STATIC $<"
	@$(CC) $(STATIC_CFLAGS) $(CFLAGS) -c $< -o $@

build/airlock-static: $(STATIC_OBJ) $(STATIC_CURL_LIB)
	@echo "  LD-STATIC $@"
	@$(CC) -static $(CFLAGS) $(THREADS) -o $@ $(STATIC_OBJ) $(STATIC_LIBS) 2>build/static-obj/link.log; \
	rc=$$?; awk '/: in function / { held = $$0; next } \
		/in statically linked applications requires at runtime/ { held = ""; next } \
		{ if (held != "") print held; held = ""; print } END { if (held != "") print held }' \
		build/static-obj/link.log >&2; exit $$rc
	@strip $@
else
build/airlock-static:
	@echo "build/airlock-static: use 'make static' (scripts/build-static.sh sets STATIC_CURL_PREFIX)" >&2
	@exit 1
endif
