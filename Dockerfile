# SPDX-License-Identifier: Apache-2.0
# airlock as a GitHub Actions container: a Debian builder runs the same
# scripts/build-static.sh as `make static`; the image itself is FROM scratch
# with the static binary, a CA bundle, the licence and an empty /tmp, nothing
# else.
# scripts/image-rootfs.sh assembles the final stage's files from its COPY
# lines (keep them one file each) and runs the binary there with chroot.

FROM debian:bookworm-slim AS build
# Packages and the minimal static libcurl first: this layer survives edits
# to the sources.
COPY scripts/build-static.sh /src/scripts/build-static.sh
RUN cd /src && ./scripts/build-static.sh --deps-only
COPY . /src
RUN cd /src && ./scripts/build-static.sh
# The final stage's /tmp (the release manifest and asset zips go through
# temporary files): COPY creates the folder through this empty file.
RUN mkdir -p /src/build/image-tmp && : > /src/build/image-tmp/.keep

FROM scratch
COPY --from=build /src/build/airlock-static /airlock
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY LICENSE /LICENSE
COPY --from=build /src/build/image-tmp/.keep /tmp/.keep
RUN ["/airlock", "version"]
ENTRYPOINT ["/airlock"]
