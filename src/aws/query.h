/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS Query protocol's request body (CloudFormation, STS, CloudWatch):
 * "Action=Op&Version=V&Name=value&List.member.1=a&List.member.1.Field=b".
 * Names and values are encoded with SigV4's UriEncode, as botocore does.
 *
 * Errors are sticky: after a failed add every later add is a no-op that
 * returns -1, and al_query_body reports the first failure, so a caller may
 * add many fields and check once.
 */
#ifndef AL_AWS_QUERY_H
#define AL_AWS_QUERY_H

#include <stddef.h>

#include "util/buf.h"

/* A Query body is sent in one request; CloudFormation's biggest field (a
 * 51,200-byte template) encodes to at most three times that. */
#define AL_QUERY_MAX_BODY ((size_t)1 << 20)

struct al_query {
    struct al_buf buf;
    int failed;
};

/**
 * Starts a body with Action and Version (both borrowed).
 * Initialises caller storage; pair with al_query_clean_up. @return 0 or -1.
 */
int al_query_init(struct al_query *q, const char *action, const char *version);

/** Frees the body. NULL-safe. */
void al_query_clean_up(struct al_query *q);

/** Adds name=value (both borrowed; a NULL value adds nothing). @return 0 or -1. */
int al_query_add(struct al_query *q, const char *name, const char *value);

/** Adds name=<printf result>. Borrows name. @return 0 or -1. */
int al_query_addf(struct al_query *q, const char *name, const char *fmt, ...) AL_PRINTF(3, 4);

/**
 * Adds a list of scalars as name.member.1 .. name.member.N; an empty list
 * serializes as "name=" (botocore's rule). Borrows the strings. @return 0 or -1.
 */
int al_query_add_list(struct al_query *q, const char *name, const char *const *items, size_t n);

/**
 * Adds one field of a structure in a list: name.member.<index>.<field>=value
 * (index from 1), e.g. Parameters.member.1.ParameterKey. A NULL field adds
 * name.member.<index>=value. Borrows the strings. @return 0 or -1.
 */
int al_query_add_member(struct al_query *q,
                        const char *name,
                        size_t index,
                        const char *field,
                        const char *value);

/**
 * The encoded body, or NULL when an add failed (the first failure is the
 * current error). Borrowed from q; valid until the next add or clean-up.
 */
const char *al_query_body(const struct al_query *q);

#endif
