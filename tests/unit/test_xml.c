/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "aws/xml.h"
#include "util/buf.h"

static int s_parse(const char *text, struct al_xml_doc **doc)
{
    return al_xml_parse(text, strlen(text), NULL, doc);
}

TEST(xml_list_bucket_result)
{
    const char *x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<Name>site</Name><IsTruncated>true</IsTruncated>"
                    "<Contents><Key>  lead space.txt</Key><ETag>&quot;abc&quot;</ETag>"
                    "<Size>12</Size></Contents>"
                    "<Contents><Key>a&amp;b&lt;c&#x41;</Key><Size>0</Size></Contents>"
                    "<NextContinuationToken>tok/+=</NextContinuationToken>"
                    "</ListBucketResult>";
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *root, *c;
    ASSERT_OK(s_parse(x, &doc));
    root = al_xml_root(doc);
    ASSERT_STR_EQ(root->name, "ListBucketResult");
    ASSERT_STR_EQ(al_xml_text(root, "Name"), "site");
    ASSERT_INT_EQ(al_xml_count(root, "Contents"), 2);
    c = al_xml_child(root, "Contents");
    ASSERT_STR_EQ(al_xml_text(c, "Key"), "  lead space.txt");
    ASSERT_STR_EQ(al_xml_text(c, "ETag"), "\"abc\"");
    c = al_xml_next_same(c);
    ASSERT(c != NULL);
    ASSERT_STR_EQ(al_xml_text(c, "Key"), "a&b<cA");
    ASSERT(al_xml_next_same(c) == NULL);
    ASSERT_STR_EQ(al_xml_text(root, "NextContinuationToken"), "tok/+=");
    ASSERT(al_xml_text(root, "Missing") == NULL);
    ASSERT_STR_EQ(root->text, ""); /* inner element: whitespace dropped */
    al_xml_doc_free(doc);
}

TEST(xml_paths_and_prefixes)
{
    const char *x = "<s:Resp xmlns:s=\"urn:x\"><s:Result><s:Credentials>"
                    "<s:AccessKeyId>ASIA1</s:AccessKeyId></s:Credentials></s:Result></s:Resp>";
    struct al_xml_doc *doc = NULL;
    ASSERT_OK(s_parse(x, &doc));
    ASSERT_STR_EQ(al_xml_text(al_xml_root(doc), "Result/Credentials/AccessKeyId"), "ASIA1");
    ASSERT(al_xml_find(al_xml_root(doc), "Result/Nope/AccessKeyId") == NULL);
    al_xml_doc_free(doc);
}

TEST(xml_refuses_doctype_and_entities)
{
    const char *bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                       "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>";
    const char *ext = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>";
    struct al_xml_doc *doc = NULL;
    ASSERT_FAILS(s_parse(bomb, &doc));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_PARSE);
    ASSERT(doc == NULL);
    ASSERT_FAILS(s_parse(ext, &doc));
    ASSERT_FAILS(s_parse("<a>&undefined;</a>", &doc));
}

TEST(xml_caps)
{
    struct al_xml_limits lim = { 0, 4, 0 };
    struct al_xml_doc *doc = NULL;
    struct al_buf b;
    ASSERT_FAILS(al_xml_parse("<a><b><c><d><e/></d></c></b></a>", 32, &lim, &doc));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_LIMIT);
    ASSERT_OK(al_xml_parse("<a><b><c><d/></c></b></a>", 25, &lim, &doc));
    al_xml_doc_free(doc);
    doc = NULL;
    lim.max_depth = 0;
    lim.max_nodes = 10;
    al_buf_init(&b, 1 << 20);
    ASSERT_OK(al_buf_puts(&b, "<r>"));
    for (int i = 0; i < 20; i++)
        ASSERT_OK(al_buf_puts(&b, "<i/>"));
    ASSERT_OK(al_buf_puts(&b, "</r>"));
    ASSERT_FAILS(al_xml_parse(b.data, b.len, &lim, &doc));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_LIMIT);
    lim.max_nodes = 0;
    lim.max_bytes = 16;
    ASSERT_FAILS(al_xml_parse(b.data, b.len, &lim, &doc));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_LIMIT);
    al_buf_clean_up(&b);
}

TEST(xml_malformed)
{
    struct al_xml_doc *doc = NULL;
    ASSERT_FAILS(s_parse("<a><b></a>", &doc));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_PARSE);
    ASSERT_CONTAINS(al_error_last()->msg, "line 1");
    ASSERT_FAILS(s_parse("", &doc));
    ASSERT_FAILS(s_parse("just text", &doc));
}

TEST(xml_big_document)
{
    struct al_buf b;
    struct al_xml_doc *doc = NULL;
    const struct al_xml_node *c;
    size_t n = 0;
    al_buf_init(&b, 8 << 20);
    ASSERT_OK(al_buf_puts(&b, "<ListBucketResult>"));
    for (int i = 0; i < 5000; i++)
        ASSERT_OK(al_buf_printf(
          &b, "<Contents><Key>dir/file-%05d.js</Key><Size>%d</Size></Contents>", i, i));
    ASSERT_OK(al_buf_puts(&b, "</ListBucketResult>"));
    ASSERT_OK(al_xml_parse(b.data, b.len, NULL, &doc));
    for (c = al_xml_child(al_xml_root(doc), "Contents"); c; c = al_xml_next_same(c))
        n++;
    ASSERT_INT_EQ(n, 5000);
    al_xml_doc_free(doc);
    al_buf_clean_up(&b);
}

TEST(xml_escape)
{
    struct al_buf b;
    struct al_xml_doc *doc = NULL;
    char text[128];
    al_buf_init(&b, 1024);
    ASSERT_OK(al_buf_puts(&b, "<Key>"));
    ASSERT_OK(al_xml_escape(&b, "a&b<c>\"d'\re\n"));
    ASSERT_OK(al_buf_puts(&b, "</Key>"));
    ASSERT_STR_EQ(b.data, "<Key>a&amp;b&lt;c&gt;&quot;d&apos;&#x0D;e&#x0A;</Key>");
    /* Round trip through the parser. */
    ASSERT_OK(al_xml_parse(b.data, b.len, NULL, &doc));
    snprintf(text, sizeof(text), "%s", al_xml_root(doc)->text);
    ASSERT_STR_EQ(text, "a&b<c>\"d'\re\n");
    al_xml_doc_free(doc);
    al_buf_clean_up(&b);
}
