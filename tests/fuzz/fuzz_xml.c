/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the XML response parser and the AWS error reader on top of it. */
#include <stddef.h>
#include <stdint.h>

#include "aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct al_xml_doc *doc = NULL;
    if (al_xml_parse((const char *)data, n, NULL, &doc) == 0)
        al_xml_doc_free(doc);
    return 0;
}
