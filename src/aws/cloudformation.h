/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CloudFormation (Query protocol, 2010-05-15): the change-set calls a deploy
 * makes (CreateChangeSet, DescribeChangeSet with every page of Changes,
 * ExecuteChangeSet, DeleteChangeSet), the stack calls around them
 * (DescribeStacks, DescribeStackEvents, DeleteStack,
 * UpdateTerminationProtection, GetTemplate) and the facts about statuses a
 * deployer needs (terminal, empty change set, missing stack).
 *
 * Module rules, stated once:
 * - Every call goes through a struct al_cfn: the AWS context whose
 *   credentials sign it (a stack's deploy role) and the stack's region.
 * - Result structs are caller storage filled here; their strings and JSON
 *   values are owned by the struct and freed by its _clean_up function,
 *   which is also safe after a failure. Absent fields are NULL.
 * - AWS text (reasons, names) is untrusted: callers escape it for the job
 *   summary and never start a log line with it.
 */
#ifndef AL_AWS_CLOUDFORMATION_H
#define AL_AWS_CLOUDFORMATION_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aws/client.h"
#include "util/str.h"

#define AL_CFN_VERSION "2010-05-15"
/* TemplateBody's limit; a larger template goes through TemplateURL. */
#define AL_CFN_TEMPLATE_BODY_MAX 51200u
/* TemplateURL's limit (1 MB). */
#define AL_CFN_TEMPLATE_MAX ((size_t)1000 * 1000)
/* Caps on answers: a page of 100 events or changes, a 1 MB template escaped. */
#define AL_CFN_BODY_MAX ((size_t)8 << 20)
/* Pages of Changes read before giving up (real change sets hold at most a few thousand). */
#define AL_CFN_MAX_CHANGE_PAGES 100u

/** Where CloudFormation calls go and who signs them. Both borrowed. */
struct al_cfn {
    struct al_aws_ctx *ctx;
    const char *region; /* NULL = the context's configured region */
};

/** What CreateChangeSet sends. Every pointer borrowed for the call. */
struct al_cfn_change_set_spec {
    const char *stack_name;
    const char *change_set_name; /* [a-zA-Z][-a-zA-Z0-9]*, at most 128 */
    bool create;                 /* ChangeSetType CREATE, else UPDATE */
    const char *template_body;   /* exactly one of template_body, template_url */
    const char *template_url;
    const json_t *parameters;           /* object of strings; NULL = none */
    const struct al_strv *use_previous; /* keys sent as UsePreviousValue=true; may be NULL */
    const json_t *tags;                 /* object of strings; NULL = not sent (kept on update) */
    const struct al_strv *notification_arns; /* NULL or empty = not sent */
    const char *role_arn;                    /* the execution role; NULL = none */
    const char *client_token;                /* idempotent retries; NULL = none */
    const char *description;                 /* NULL = none */
};

/** One resource change of a change set. Owned strings (NULL when absent). */
struct al_cfn_change {
    char *action; /* Add, Modify, Remove, Dynamic, Import */
    char *logical_id;
    char *physical_id;
    char *resource_type;
    char *replacement; /* True, False, Conditional; Modify only */
};

/** A described change set. Caller storage; pair with al_cfn_change_set_clean_up. */
struct al_cfn_change_set {
    char *id;
    char *stack_id;
    char *status;           /* CREATE_PENDING ... CREATE_COMPLETE, FAILED, DELETE_* */
    char *execution_status; /* UNAVAILABLE, AVAILABLE, EXECUTE_*, OBSOLETE */
    char *status_reason;
    struct al_cfn_change *changes;
    size_t n_changes;
};

/** A described stack. Caller storage; pair with al_cfn_stack_clean_up. */
struct al_cfn_stack {
    char *stack_id;
    char *name;
    char *status;
    char *status_reason;
    char *role_arn;
    bool termination_protection;
    json_t
      *parameters; /* {"Key": "Value"} (NoEcho values come back as "****"); never NULL once found */
    json_t
      *outputs;   /* {"OutputKey": "OutputValue"}, in the answer's order; never NULL once found */
    json_t *tags; /* {"Key": "Value"}; never NULL once found */
};

/** One stack event. Owned strings (NULL when absent). */
struct al_cfn_event {
    char *event_id;
    char *logical_id;
    char *physical_id;
    char *resource_type;
    char *status;
    char *reason;
    char *token; /* ClientRequestToken of the operation that caused it */
    char *timestamp;
};

/** One page of events, newest first. Caller storage; pair with al_cfn_events_clean_up. */
struct al_cfn_events {
    struct al_cfn_event *items;
    size_t n;
    char *next_token; /* NULL on the last page */
};

/**
 * CreateChangeSet with CAPABILITY_IAM, CAPABILITY_NAMED_IAM and
 * CAPABILITY_AUTO_EXPAND. Borrows everything.
 * @param id_out receives the change set ARN (caller frees; may be NULL)
 * @return 0 or -1 (the AWS error: ValidationError, AlreadyExistsException,
 *         InsufficientCapabilitiesException, ...)
 */
int al_cfn_create_change_set(const struct al_cfn *c,
                             const struct al_cfn_change_set_spec *spec,
                             char **id_out);

/**
 * DescribeChangeSet, following NextToken through every page of Changes when
 * with_changes (else the first page's status only). Fills out (caller
 * storage, cleaned up by the caller also on failure).
 * @return 0 or -1 (ChangeSetNotFound, ...)
 */
int al_cfn_describe_change_set(const struct al_cfn *c,
                               const char *stack_name,
                               const char *change_set_name,
                               bool with_changes,
                               struct al_cfn_change_set *out);

/** Frees the change set's fields and empties it. NULL-safe. */
void al_cfn_change_set_clean_up(struct al_cfn_change_set *cs);

/**
 * True for a change set that failed only because nothing changed: status
 * FAILED with "The submitted information didn't contain changes" or "No
 * updates are to be performed" in its reason.
 */
bool al_cfn_change_set_empty(const struct al_cfn_change_set *cs);

/** ExecuteChangeSet with a ClientRequestToken (borrowed; may be NULL). @return 0 or -1. */
int al_cfn_execute_change_set(const struct al_cfn *c,
                              const char *stack_name,
                              const char *change_set_name,
                              const char *client_request_token);

/** DeleteChangeSet by name. @return 0 or -1. */
int al_cfn_delete_change_set(const struct al_cfn *c,
                             const char *stack_name,
                             const char *change_set_name);

/**
 * DescribeStacks for one stack (name or stack id). A missing stack is not an
 * error: *found is false and out stays empty. Fills out (caller storage,
 * cleaned up by the caller also on failure).
 * @return 0, or -1 (the AWS error)
 */
int al_cfn_describe_stack(const struct al_cfn *c,
                          const char *stack_name,
                          struct al_cfn_stack *out,
                          bool *found);

/** Frees the stack's fields and empties it. NULL-safe. */
void al_cfn_stack_clean_up(struct al_cfn_stack *s);

/**
 * One page of DescribeStackEvents (newest first). next_token NULL for the
 * first page. Fills out (caller storage, cleaned up by the caller also on
 * failure). @return 0 or -1.
 */
int al_cfn_describe_stack_events(const struct al_cfn *c,
                                 const char *stack_name,
                                 const char *next_token,
                                 struct al_cfn_events *out);

/** Frees the page and empties it. NULL-safe. */
void al_cfn_events_clean_up(struct al_cfn_events *e);

/** DeleteStack (role_arn and token borrowed, may be NULL). @return 0 or -1. */
int al_cfn_delete_stack(const struct al_cfn *c,
                        const char *stack_name,
                        const char *role_arn,
                        const char *client_request_token);

/** UpdateTerminationProtection. @return 0 or -1. */
int al_cfn_update_termination_protection(const struct al_cfn *c,
                                         const char *stack_name,
                                         bool enable);

/**
 * GetTemplate (TemplateStage Original: the body as it was submitted).
 * @param body_out receives a new string (caller frees)
 * @return 0 or -1
 */
int al_cfn_get_template(const struct al_cfn *c, const char *stack_name, char **body_out);

/** True when a stack status is final: it does not end in _IN_PROGRESS. */
bool al_cfn_status_terminal(const char *status);

/** True for a status that ends in failure or rollback (CREATE_FAILED, *ROLLBACK*, ...). */
bool al_cfn_status_failed(const char *status);

/** True when the current error says a stack does not exist (ValidationError "does not exist"). */
bool al_cfn_error_not_found(void);

#endif
