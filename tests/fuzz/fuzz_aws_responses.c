/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the typed readers of AWS answers on top of the XML parser: the
 * error reader (S3, Query and REST-XML shapes, also inside a 200), S3
 * listings, DeleteObjects results, copy/complete ETags, CloudFront
 * invalidations and CloudWatch alarms. The same bytes go to each reader, as
 * a 200 and as a 400 answer; whatever a reader accepts stays within its caps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudfront.h"
#include "aws/cloudwatch.h"
#include "aws/errors.h"
#include "aws/s3.h"
#include "http/engine.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const long statuses[] = { 200, 400, 404 };
    const char *body = (const char *)data;

    for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
        struct al_http_response r;
        struct al_aws_error_info info;
        struct al_s3_listing list;
        struct al_s3_delete_result del;
        struct al_buf next;
        char etag[AL_S3_ETAG_MAX];
        bool found;

        al_http_response_init(&r, 1 << 20);
        r.status = statuses[s];
        if (al_buf_append(&r.body, data, n) == 0) {
            al_aws_error_parse(&r, &info);
            al_aws_error_in_body(body, n);
            al_s3_parse_found(&r, &found);
            al_s3_listing_init(&list);
            al_buf_init(&next, 4096);
            al_s3_parse_list_page(&r, &list, &next);
            al_s3_listing_clean_up(&list);
            al_buf_clean_up(&next);
            al_s3_delete_result_init(&del);
            al_s3_parse_delete(&r, 1000, &del);
            al_s3_delete_result_clean_up(&del);
            al_s3_parse_result_etag(&r, etag);
            free(al_s3_parse_upload_id(&r));
        }
        al_http_response_clean_up(&r);
        al_error_clear();
    }
    {
        struct al_cf_invalidation inv;
        struct al_cw_alarms alarms;
        struct al_buf next;
        memset(&inv, 0, sizeof(inv));
        al_cf_parse_invalidation(body, n, &inv);
        al_cw_alarms_init(&alarms);
        al_buf_init(&next, 4096);
        al_cw_parse_describe_alarms(body, n, &alarms, &next);
        al_cw_alarms_clean_up(&alarms);
        al_buf_clean_up(&next);
        al_error_clear();
    }
    return 0;
}
