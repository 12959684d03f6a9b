/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small read-only XML tree over expat, for AWS response bodies, and an
 * escaper for the request bodies we build.
 *
 * Module rules, stated once:
 * - Parsing is size-capped (bytes, depth, element count). A DOCTYPE is
 *   refused, so no entity can be declared, expanded or fetched; only the five
 *   predefined entities and character references are decoded.
 * - Element names are local names: a namespace prefix ("s3:Key") is dropped.
 * - A leaf element's text is kept exactly (leading spaces included, as S3 keys
 *   may have them); the text between the children of an inner element is
 *   dropped (AWS never sends mixed content).
 * - Every node and string belongs to its struct al_xml_doc and lives until
 *   al_xml_doc_free.
 */
#ifndef AL_AWS_XML_H
#define AL_AWS_XML_H

#include <stddef.h>

#include "util/buf.h"

/* Defaults for a zero field in struct al_xml_limits. */
#define AL_XML_MAX_BYTES ((size_t)16 << 20)
#define AL_XML_MAX_DEPTH 64
#define AL_XML_MAX_NODES ((size_t)1 << 20)

struct al_xml_limits {
    size_t max_bytes; /* input size; 0 = AL_XML_MAX_BYTES */
    size_t max_depth; /* element nesting; 0 = AL_XML_MAX_DEPTH */
    size_t max_nodes; /* elements in the document; 0 = AL_XML_MAX_NODES */
};

struct al_xml_node {
    const char *name; /* local name */
    const char *text; /* leaf text, exactly as sent; "" for inner elements */
    size_t text_len;  /* the text may hold NUL bytes only via &#0; (refused by expat) */
    struct al_xml_node *parent;
    struct al_xml_node *first_child;
    struct al_xml_node *last_child;
    struct al_xml_node *next; /* next sibling */
};

struct al_xml_doc; /* opaque: owns every node and string */

/**
 * Parses n bytes of XML.
 * Borrows data. On success *out is a new document; caller frees with
 * al_xml_doc_free. On failure *out is NULL.
 * @param lim caps (NULL for the defaults)
 * @return 0, or -1 (AL_ERR_PARSE for malformed XML or a DOCTYPE, AL_ERR_LIMIT
 *         over a cap, AL_ERR_NOMEM)
 */
int al_xml_parse(const char *data,
                 size_t n,
                 const struct al_xml_limits *lim,
                 struct al_xml_doc **out);

/** Frees the document and every node in it. NULL-safe. */
void al_xml_doc_free(struct al_xml_doc *doc);

/** The root element. Borrowed from doc. */
const struct al_xml_node *al_xml_root(const struct al_xml_doc *doc);

/** The first child of n named name, or NULL. Borrowed from the document. NULL-safe. */
const struct al_xml_node *al_xml_child(const struct al_xml_node *n, const char *name);

/** The next sibling of n with the same name, or NULL (to walk repeated elements). Borrowed. */
const struct al_xml_node *al_xml_next_same(const struct al_xml_node *n);

/**
 * The node at a relative path of child names separated by '/' ("A/B/C"), or
 * NULL. Borrowed from the document. NULL-safe.
 */
const struct al_xml_node *al_xml_find(const struct al_xml_node *n, const char *path);

/** The text of the node at path (see al_xml_find), or NULL when absent. Borrowed. */
const char *al_xml_text(const struct al_xml_node *n, const char *path);

/** Counts the children of n named name. */
size_t al_xml_count(const struct al_xml_node *n, const char *name);

/**
 * Appends s with &, <, >, ", ' and control characters escaped, for element
 * text and attribute values. Borrows s. @return 0 or -1.
 */
int al_xml_escape(struct al_buf *out, const char *s);

#endif
