/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

/* Nodes and strings come from a chain of blocks, freed at once. */
#define ARENA_BLOCK ((size_t)64 << 10)

struct s_block {
    struct s_block *next;
    size_t used;
    size_t cap;
    max_align_t data[];
};

struct al_xml_doc {
    struct s_block *blocks;
    struct al_xml_node *root;
};

struct s_parse {
    XML_Parser parser;
    struct al_xml_doc *doc;
    struct al_xml_limits lim;
    struct al_xml_node *cur;
    size_t depth;
    size_t nodes;
    struct al_buf text; /* character data since the last tag */
    int failed;         /* an error was raised by a handler */
};

static void *s_alloc(struct al_xml_doc *doc, size_t n)
{
    struct s_block *b = doc->blocks;
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (!b) {
            al_raise(AL_ERR_NOMEM, "out of memory parsing XML");
            return NULL;
        }
        b->cap = cap;
        b->used = 0;
        /* A big one-off block goes behind the current one so its space is not wasted. */
        if (doc->blocks && n > ARENA_BLOCK) {
            b->next = doc->blocks->next;
            doc->blocks->next = b;
        } else {
            b->next = doc->blocks;
            doc->blocks = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

static char *s_strndup(struct al_xml_doc *doc, const char *s, size_t n)
{
    char *p = s_alloc(doc, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void s_fail(struct s_parse *ps)
{
    ps->failed = 1;
    XML_StopParser(ps->parser, XML_FALSE);
}

static void XMLCALL s_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct s_parse *ps = ud;
    struct al_xml_node *n;
    const char *local = strrchr(name, ':');
    (void)atts;
    if (ps->failed)
        return;
    if (ps->depth >= ps->lim.max_depth) {
        al_raise(AL_ERR_LIMIT, "XML nested deeper than %zu elements", ps->lim.max_depth);
        s_fail(ps);
        return;
    }
    if (ps->nodes >= ps->lim.max_nodes) {
        al_raise(AL_ERR_LIMIT, "XML has more than %zu elements", ps->lim.max_nodes);
        s_fail(ps);
        return;
    }
    local = local ? local + 1 : name;
    n = s_alloc(ps->doc, sizeof(*n));
    if (!n || !(n->name = s_strndup(ps->doc, local, strlen(local)))) {
        s_fail(ps);
        return;
    }
    n->text = "";
    n->text_len = 0;
    n->first_child = n->last_child = n->next = NULL;
    n->parent = ps->cur;
    if (ps->cur) {
        if (ps->cur->last_child)
            ps->cur->last_child->next = n;
        else
            ps->cur->first_child = n;
        ps->cur->last_child = n;
    } else {
        ps->doc->root = n;
    }
    ps->cur = n;
    ps->depth++;
    ps->nodes++;
    al_buf_reset(&ps->text);
}

static void XMLCALL s_end(void *ud, const XML_Char *name)
{
    struct s_parse *ps = ud;
    struct al_xml_node *n = ps->cur;
    (void)name;
    if (ps->failed || !n)
        return;
    if (!n->first_child && ps->text.len) {
        char *t = s_strndup(ps->doc, ps->text.data, ps->text.len);
        if (!t) {
            s_fail(ps);
            return;
        }
        n->text = t;
        n->text_len = ps->text.len;
    }
    al_buf_reset(&ps->text);
    ps->cur = n->parent;
    ps->depth--;
}

static void XMLCALL s_chars(void *ud, const XML_Char *s, int len)
{
    struct s_parse *ps = ud;
    if (ps->failed || !ps->cur)
        return;
    if (al_buf_append(&ps->text, s, (size_t)len))
        s_fail(ps);
}

/* No DOCTYPE, hence no entity declarations: closes every expansion attack. */
static void XMLCALL s_doctype(void *ud,
                              const XML_Char *name,
                              const XML_Char *sysid,
                              const XML_Char *pubid,
                              int has_internal_subset)
{
    struct s_parse *ps = ud;
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    al_raise(AL_ERR_PARSE, "XML with a DOCTYPE is refused");
    s_fail(ps);
}

static void XMLCALL s_entity_decl(void *ud,
                                  const XML_Char *name,
                                  int is_param,
                                  const XML_Char *value,
                                  int value_len,
                                  const XML_Char *base,
                                  const XML_Char *sysid,
                                  const XML_Char *pubid,
                                  const XML_Char *notation)
{
    struct s_parse *ps = ud;
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    al_raise(AL_ERR_PARSE, "XML entity declarations are refused");
    s_fail(ps);
}

int al_xml_parse(const char *data,
                 size_t n,
                 const struct al_xml_limits *lim,
                 struct al_xml_doc **out)
{
    struct s_parse ps;
    int rc = -1;

    *out = NULL;
    memset(&ps, 0, sizeof(ps));
    if (lim)
        ps.lim = *lim;
    if (!ps.lim.max_bytes)
        ps.lim.max_bytes = AL_XML_MAX_BYTES;
    if (!ps.lim.max_depth)
        ps.lim.max_depth = AL_XML_MAX_DEPTH;
    if (!ps.lim.max_nodes)
        ps.lim.max_nodes = AL_XML_MAX_NODES;
    al_buf_init(&ps.text, ps.lim.max_bytes);
    if (n > ps.lim.max_bytes || n > INT32_MAX) {
        al_raise(AL_ERR_LIMIT,
                 "XML document of %zu bytes is over the %zu byte limit",
                 n,
                 ps.lim.max_bytes);
        goto cleanup;
    }
    if (!(ps.doc = calloc(1, sizeof(*ps.doc)))) {
        al_raise(AL_ERR_NOMEM, "out of memory parsing XML");
        goto cleanup;
    }
    if (!(ps.parser = XML_ParserCreate(NULL))) {
        al_raise(AL_ERR_NOMEM, "cannot create an XML parser");
        goto cleanup;
    }
    XML_SetUserData(ps.parser, &ps);
    XML_SetElementHandler(ps.parser, s_start, s_end);
    XML_SetCharacterDataHandler(ps.parser, s_chars);
    XML_SetStartDoctypeDeclHandler(ps.parser, s_doctype);
    XML_SetEntityDeclHandler(ps.parser, s_entity_decl);
    XML_SetParamEntityParsing(ps.parser, XML_PARAM_ENTITY_PARSING_NEVER);
    if (XML_Parse(ps.parser, data, (int)n, XML_TRUE) != XML_STATUS_OK) {
        if (!ps.failed)
            al_raise(AL_ERR_PARSE,
                     "malformed XML at line %lu: %s",
                     (unsigned long)XML_GetCurrentLineNumber(ps.parser),
                     XML_ErrorString(XML_GetErrorCode(ps.parser)));
        goto cleanup;
    }
    if (!ps.doc->root) {
        al_raise(AL_ERR_PARSE, "XML document has no element");
        goto cleanup;
    }
    *out = ps.doc;
    ps.doc = NULL;
    rc = 0;
cleanup:
    if (ps.parser)
        XML_ParserFree(ps.parser);
    al_xml_doc_free(ps.doc);
    al_buf_clean_up(&ps.text);
    return rc;
}

void al_xml_doc_free(struct al_xml_doc *doc)
{
    struct s_block *b, *next;
    if (!doc)
        return;
    for (b = doc->blocks; b; b = next) {
        next = b->next;
        free(b);
    }
    free(doc);
}

const struct al_xml_node *al_xml_root(const struct al_xml_doc *doc)
{
    return doc ? doc->root : NULL;
}

const struct al_xml_node *al_xml_child(const struct al_xml_node *n, const char *name)
{
    if (!n)
        return NULL;
    for (const struct al_xml_node *c = n->first_child; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const struct al_xml_node *al_xml_next_same(const struct al_xml_node *n)
{
    if (!n)
        return NULL;
    for (const struct al_xml_node *c = n->next; c; c = c->next)
        if (strcmp(c->name, n->name) == 0)
            return c;
    return NULL;
}

const struct al_xml_node *al_xml_find(const struct al_xml_node *n, const char *path)
{
    char part[256];
    while (n && *path) {
        size_t len = strcspn(path, "/");
        if (len >= sizeof(part))
            return NULL;
        memcpy(part, path, len);
        part[len] = '\0';
        n = al_xml_child(n, part);
        path += len;
        if (*path == '/')
            path++;
    }
    return n;
}

const char *al_xml_text(const struct al_xml_node *n, const char *path)
{
    n = al_xml_find(n, path);
    return n ? n->text : NULL;
}

size_t al_xml_count(const struct al_xml_node *n, const char *name)
{
    size_t count = 0;
    for (const struct al_xml_node *c = n ? n->first_child : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            count++;
    return count;
}

int al_xml_escape(struct al_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *rep = NULL;
        char num[8];
        switch (c) {
            case '&':
                rep = "&amp;";
                break;
            case '<':
                rep = "&lt;";
                break;
            case '>':
                rep = "&gt;";
                break;
            case '"':
                rep = "&quot;";
                break;
            case '\'':
                rep = "&apos;";
                break;
            default:
                /* Control characters as references, so S3 keys holding CR or LF survive. */
                if (c < 0x20) {
                    num[0] = '&';
                    num[1] = '#';
                    num[2] = 'x';
                    num[3] = hex[c >> 4];
                    num[4] = hex[c & 15];
                    num[5] = ';';
                    num[6] = '\0';
                    rep = num;
                }
        }
        if (!rep)
            continue;
        if (al_buf_append(out, run, (size_t)(s - run)) || al_buf_puts(out, rep))
            return -1;
        run = s + 1;
    }
    return al_buf_append(out, run, (size_t)(s - run));
}
