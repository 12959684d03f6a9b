/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CloudWatch DescribeAlarms over the Query protocol (API 2010-08-01,
 * signing name "monitoring"). Metric and composite alarms both: without
 * AlarmTypes CloudWatch returns metric alarms only, so every call names both.
 * Pages (NextToken) are followed, and name lists are sent 100 at a time
 * (the API's cap).
 */
#ifndef AL_AWS_CLOUDWATCH_H
#define AL_AWS_CLOUDWATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/client.h"
#include "util/buf.h"

#define AL_CW_API_VERSION "2010-08-01"
/* AlarmNames per call and MaxRecords per page. */
#define AL_CW_PAGE 100u
/* Alarms one lookup may collect before it stops (a prefix matching thousands is a mistake). */
#define AL_CW_MAX_ALARMS 5000u
/* Pages one lookup may read. */
#define AL_CW_MAX_PAGES 100u

/** One alarm's state. */
struct al_cw_alarm {
    char *name;
    bool composite;
    char *state;   /* OK, ALARM, INSUFFICIENT_DATA */
    char *reason;  /* StateReason, may be "" */
    char *changed; /* StateTransitionedTimestamp, else StateUpdatedTimestamp; may be "" */
};

/** A list of alarms (owned). */
struct al_cw_alarms {
    struct al_cw_alarm *items;
    size_t len, cap;
};

/** Initialises an empty list. Pair with al_cw_alarms_clean_up. */
void al_cw_alarms_init(struct al_cw_alarms *l);

/** Frees every alarm. NULL-safe. */
void al_cw_alarms_clean_up(struct al_cw_alarms *l);

/** The alarm named name, or NULL. Borrowed from l. */
const struct al_cw_alarm *al_cw_alarms_find(const struct al_cw_alarms *l, const char *name);

/**
 * Appends the alarms of one DescribeAlarms answer (MetricAlarms and
 * CompositeAlarms) to out, skipping names it already holds, and copies its
 * NextToken into next ("" when it is the last page). Borrows body.
 * @return 0, or -1 (AL_ERR_PARSE, AL_ERR_LIMIT past AL_CW_MAX_ALARMS)
 */
int al_cw_parse_describe_alarms(const char *body,
                                size_t n,
                                struct al_cw_alarms *out,
                                struct al_buf *next);

/**
 * DescribeAlarms for the given names (exact) and, when prefix is not NULL,
 * for the alarms whose name starts with it; every page. Appends to out
 * (names it already holds are skipped). Borrows everything.
 * @return 0 or -1 (the AWS error raised)
 */
int al_cw_describe_alarms(struct al_aws_ctx *ctx,
                          const char *const *names,
                          size_t n_names,
                          const char *prefix,
                          struct al_cw_alarms *out);

#endif
