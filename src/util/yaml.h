/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libyaml adapter: parses one YAML document into a jansson value, so config
 * files in YAML and JSON share one representation. Plain scalars become
 * numbers, booleans (true/false) and null where YAML 1.2's core schema says
 * so; quoted scalars stay strings. Anchors/aliases are refused (no billion
 * laughs), nesting is capped.
 */
#ifndef AL_UTIL_YAML_H
#define AL_UTIL_YAML_H

#include <stddef.h>

#include <jansson.h>

#define AL_YAML_MAX_DEPTH 64

/**
 * Parses n bytes of YAML. On an error raises `code` with
 * "<name>:<line>:<column>: <reason>". @return a new reference (caller
 * json_decref's it) or NULL.
 */
json_t *al_yaml_parse(const char *text, size_t n, const char *name, int code);

#endif
