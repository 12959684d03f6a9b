/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include "aws/endpoint.h"

TEST(aws_endpoint_real_regional)
{
    struct al_endpoint_config cfg = { .region = "ap-northeast-1" };
    struct al_endpoint ep;
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_CLOUDFORMATION, NULL, NULL, &ep));
    ASSERT_STR_EQ(ep.base, "https://cloudformation.ap-northeast-1.amazonaws.com");
    ASSERT_STR_EQ(ep.host, "cloudformation.ap-northeast-1.amazonaws.com");
    ASSERT_STR_EQ(ep.region, "ap-northeast-1");
    ASSERT_STR_EQ(ep.signing_name, "cloudformation");
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_CLOUDWATCH, NULL, NULL, &ep));
    ASSERT_STR_EQ(ep.host, "monitoring.ap-northeast-1.amazonaws.com");
    ASSERT_STR_EQ(ep.signing_name, "monitoring");
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_STS, NULL, NULL, &ep));
    ASSERT_STR_EQ(ep.host, "sts.ap-northeast-1.amazonaws.com");
    ASSERT_STR_EQ(ep.region, "ap-northeast-1");
    ASSERT(!ep.custom);
}

TEST(aws_endpoint_cloudfront_and_global_sts)
{
    struct al_endpoint_config cfg = { .region = "eu-west-1", .sts_global = true };
    struct al_endpoint ep;
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_CLOUDFRONT, NULL, NULL, &ep));
    ASSERT_STR_EQ(ep.host, "cloudfront.amazonaws.com");
    ASSERT_STR_EQ(ep.region, "us-east-1");
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_STS, NULL, NULL, &ep));
    ASSERT_STR_EQ(ep.host, "sts.amazonaws.com");
    ASSERT_STR_EQ(ep.region, "us-east-1");
    cfg.region = "cn-north-1";
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_S3, "b", NULL, &ep));
    ASSERT_STR_EQ(ep.host, "s3.cn-north-1.amazonaws.com.cn");
    ASSERT(ep.path_style); /* "b" is too short for a DNS label rule of 3+ */
}

TEST(aws_endpoint_s3_addressing)
{
    struct al_endpoint_config cfg = { .region = "us-east-1" };
    struct al_endpoint ep;
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_S3, "my-site", NULL, &ep));
    ASSERT_STR_EQ(ep.host, "my-site.s3.us-east-1.amazonaws.com");
    ASSERT(!ep.path_style);
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_S3, "www.example.com", NULL, &ep));
    ASSERT_STR_EQ(ep.host, "s3.us-east-1.amazonaws.com");
    ASSERT(ep.path_style);
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_S3, "my-site", "eu-central-1", &ep));
    ASSERT_STR_EQ(ep.host, "my-site.s3.eu-central-1.amazonaws.com");
    ASSERT_STR_EQ(ep.region, "eu-central-1");
}

TEST(aws_endpoint_override_precedence)
{
    struct al_endpoint_config cfg = { .region = "ap-northeast-1" };
    struct al_endpoint ep;
    cfg.env_endpoint_url = "http://127.0.0.1:4566";
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_S3, "my-site", NULL, &ep));
    ASSERT_STR_EQ(ep.base, "http://127.0.0.1:4566");
    ASSERT_STR_EQ(ep.host, "127.0.0.1:4566");
    ASSERT(ep.path_style);
    ASSERT(ep.custom);
    ASSERT_STR_EQ(ep.region, "ap-northeast-1");
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_CLOUDFRONT, NULL, NULL, &ep));
    ASSERT_STR_EQ(ep.region, "us-east-1"); /* CloudFront signs in us-east-1 everywhere */
    cfg.env_service_url[AL_SVC_S3] = "https://s3.local.test:8443/base/";
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_S3, "b", NULL, &ep));
    ASSERT_STR_EQ(ep.base, "https://s3.local.test:8443");
    ASSERT_STR_EQ(ep.path_prefix, "/base");
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_STS, NULL, NULL, &ep));
    ASSERT_STR_EQ(ep.base, "http://127.0.0.1:4566"); /* other services: the global variable */
    cfg.endpoint_url = "https://localhost:443";
    ASSERT_OK(al_endpoint_resolve(&cfg, AL_SVC_S3, "b", NULL, &ep));
    ASSERT_STR_EQ(ep.host, "localhost"); /* default port dropped, as the SDKs sign it */
    ASSERT_STR_EQ(al_aws_service_env_suffix(AL_SVC_CLOUDWATCH), "CLOUDWATCH");
}

TEST(aws_endpoint_http_only_loopback)
{
    ASSERT_OK(al_endpoint_check_url("http://127.0.0.1:9000", "endpoint-url"));
    ASSERT_OK(al_endpoint_check_url("http://127.1.2.3", "endpoint-url"));
    ASSERT_OK(al_endpoint_check_url("http://localhost:9000", "endpoint-url"));
    ASSERT_OK(al_endpoint_check_url("http://[::1]:9000", "endpoint-url"));
    ASSERT_OK(al_endpoint_check_url("https://minio.example.com", "endpoint-url"));
    ASSERT_FAILS(al_endpoint_check_url("http://minio.example.com", "endpoint-url"));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    ASSERT_CONTAINS(al_error_last()->msg, "loopback");
    ASSERT_FAILS(al_endpoint_check_url("http://127.0.0.1.nip.io", "endpoint-url"));
    ASSERT_FAILS(al_endpoint_check_url("http://10.0.0.1", "endpoint-url"));
    ASSERT_FAILS(al_endpoint_check_url("ftp://127.0.0.1", "endpoint-url"));
    ASSERT_FAILS(al_endpoint_check_url("https://user:pw@host", "endpoint-url"));
    ASSERT_FAILS(al_endpoint_check_url("https://host/?x=1", "endpoint-url"));
    ASSERT_FAILS(al_endpoint_check_url("not a url", "endpoint-url"));
}

TEST(aws_endpoint_region_required)
{
    struct al_endpoint_config cfg = { 0 };
    struct al_endpoint ep;
    ASSERT_FAILS(al_endpoint_resolve(&cfg, AL_SVC_S3, "b", NULL, &ep));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_USAGE);
    cfg.region = "EU West";
    ASSERT_FAILS(al_endpoint_resolve(&cfg, AL_SVC_S3, "b", NULL, &ep));
    ASSERT(al_aws_region_valid("us-gov-west-1"));
    ASSERT(!al_aws_region_valid("-x"));
}
