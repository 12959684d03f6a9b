/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include "aws/errors.h"

static void s_resp(struct al_http_response *r, long status, const char *body)
{
    al_http_response_init(r, 0);
    r->status = status;
    if (body)
        al_buf_puts(&r->body, body);
}

TEST(aws_errors_s3_shape)
{
    struct al_http_response r;
    struct al_aws_error_info info;
    s_resp(&r,
           403,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
           "<Message>Access Denied</Message><RequestId>R1</RequestId><HostId>H</HostId></Error>");
    ASSERT(al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "AccessDenied");
    ASSERT_STR_EQ(info.message, "Access Denied");
    ASSERT_STR_EQ(info.request_id, "R1");
    ASSERT_FAILS(al_aws_error_raise("s3", "PutObject", 403, &info));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_CREDENTIALS);
    ASSERT_STR_EQ(al_error_last()->aws_code, "AccessDenied");
    ASSERT_STR_EQ(al_error_last()->request_id, "R1");
    ASSERT_STR_EQ(al_error_last()->service, "s3");
    ASSERT_STR_EQ(al_error_last()->operation, "PutObject");
    ASSERT_INT_EQ(al_error_last()->http_status, 403);
    ASSERT_STR_EQ(al_error_last()->msg,
                  "s3 PutObject failed: AccessDenied: Access Denied (HTTP 403, request id R1)");
    al_http_response_clean_up(&r);
}

TEST(aws_errors_query_shape)
{
    struct al_http_response r;
    struct al_aws_error_info info;
    s_resp(&r,
           400,
           "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">"
           "<Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id X does "
           "not exist</Message></Error><RequestId>Q-1</RequestId></ErrorResponse>");
    ASSERT(al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "ValidationError");
    ASSERT_STR_EQ(info.request_id, "Q-1");
    ASSERT_FAILS(al_aws_error_raise("cloudformation", "DescribeStacks", 400, &info));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_AWS);
    al_http_response_clean_up(&r);
}

TEST(aws_errors_json_shapes)
{
    struct al_http_response r;
    struct al_aws_error_info info;
    s_resp(&r,
           400,
           "{\"__type\":\"com.amazon.coral.validate#ValidationException\","
           "\"message\":\"bad\"}");
    al_http_headers_add(&r.headers, "x-amzn-RequestId", "J-1");
    ASSERT(al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "ValidationException");
    ASSERT_STR_EQ(info.message, "bad");
    ASSERT_STR_EQ(info.request_id, "J-1");
    al_http_response_clean_up(&r);

    s_resp(&r, 400, "{\"__type\":\"ThrottlingException\",\"message\":\"slow\"}");
    al_http_headers_add(&r.headers, "x-amzn-query-error", "Throttling;Sender");
    ASSERT(al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "Throttling");
    al_http_response_clean_up(&r);

    s_resp(&r, 409, "{\"Type\":\"User\",\"message\":\"busy\"}");
    al_http_headers_add(&r.headers, "X-Amzn-ErrorType", "ResourceConflictException:http://x/");
    ASSERT(al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "ResourceConflictException");
    ASSERT_STR_EQ(info.message, "busy");
    al_http_response_clean_up(&r);
}

TEST(aws_errors_bodyless_and_garbage)
{
    struct al_http_response r;
    struct al_aws_error_info info;
    s_resp(&r, 404, NULL); /* HEAD */
    al_http_headers_add(&r.headers, "x-amz-request-id", "H-1");
    ASSERT(!al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "NotFound");
    ASSERT_STR_EQ(info.request_id, "H-1");
    al_http_response_clean_up(&r);

    s_resp(&r, 502, "<html><body>Bad Gateway</body></html>");
    al_raise(AL_ERR_NONE, "untouched");
    ASSERT(!al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "BadGateway");
    ASSERT_STR_EQ(al_error_last()->msg, "untouched"); /* parse failure left no trace */
    al_http_response_clean_up(&r);

    s_resp(&r, 599, "<Error><Code>X\nY</Code><Message>line1\r\nline2</Message></Error>");
    ASSERT(al_aws_error_parse(&r, &info));
    ASSERT_STR_EQ(info.code, "X Y");
    ASSERT_STR_EQ(info.message, "line1 line2"); /* XML folds CR LF */
    al_http_response_clean_up(&r);
}

TEST(aws_errors_in_200_body)
{
    const char *ok = "<?xml version=\"1.0\"?>\n<CompleteMultipartUploadResult>"
                     "</CompleteMultipartUploadResult>";
    const char *bad = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n          \n"
                      "<Error><Code>InternalError</Code><Message>x</Message></Error>";
    ASSERT(!al_aws_error_in_body(ok, strlen(ok)));
    ASSERT(al_aws_error_in_body(bad, strlen(bad)));
    ASSERT(!al_aws_error_in_body("", 0));
}

TEST(aws_errors_auth_codes)
{
    ASSERT(al_aws_error_is_auth(403, "ExpiredToken"));
    ASSERT(al_aws_error_is_auth(403, "InvalidClientTokenId"));
    ASSERT(al_aws_error_is_auth(403, "SignatureDoesNotMatch"));
    ASSERT(al_aws_error_is_auth(403, NULL));
    ASSERT(!al_aws_error_is_auth(403, "RequestTimeTooSkewed"));
    ASSERT(!al_aws_error_is_auth(404, "NoSuchKey"));
}
