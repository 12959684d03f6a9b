/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <stdlib.h>

#include "aws/query.h"

TEST(aws_query_encodes_like_botocore)
{
    struct al_query q;
    const char *caps[] = { "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND" };
    ASSERT_OK(al_query_init(&q, "CreateChangeSet", "2010-05-15"));
    ASSERT_OK(al_query_add(&q, "StackName", "Goal Mandala/Frontend"));
    ASSERT_OK(al_query_add_list(&q, "Capabilities", caps, 2));
    ASSERT_OK(al_query_add_member(&q, "Parameters", 1, "ParameterKey", "Env"));
    ASSERT_OK(al_query_add_member(&q, "Parameters", 1, "ParameterValue", "a+b=c&d~"));
    ASSERT_OK(al_query_add(&q, "Skipped", NULL));
    ASSERT_OK(al_query_addf(&q, "DurationSeconds", "%u", 3600u));
    ASSERT_STR_EQ(al_query_body(&q),
                  "Action=CreateChangeSet&Version=2010-05-15&StackName=Goal%20Mandala%2FFrontend"
                  "&Capabilities.member.1=CAPABILITY_IAM"
                  "&Capabilities.member.2=CAPABILITY_AUTO_EXPAND"
                  "&Parameters.member.1.ParameterKey=Env"
                  "&Parameters.member.1.ParameterValue=a%2Bb%3Dc%26d~&DurationSeconds=3600");
    al_query_clean_up(&q);
}

TEST(aws_query_empty_list_and_utf8)
{
    struct al_query q;
    ASSERT_OK(al_query_init(&q, "DescribeAlarms", "2010-08-01"));
    ASSERT_OK(al_query_add_list(&q, "AlarmNames", NULL, 0));
    ASSERT_OK(al_query_add(&q, "AlarmNamePrefix", "\xC3\xA9t\xC3\xA9"));
    ASSERT_STR_EQ(al_query_body(&q),
                  "Action=DescribeAlarms&Version=2010-08-01&AlarmNames="
                  "&AlarmNamePrefix=%C3%A9t%C3%A9");
    al_query_clean_up(&q);
}

TEST(aws_query_errors_are_sticky)
{
    struct al_query q;
    char *big = malloc(AL_QUERY_MAX_BODY);
    ASSERT(big != NULL);
    memset(big, 'x', AL_QUERY_MAX_BODY - 1);
    big[AL_QUERY_MAX_BODY - 1] = '\0';
    ASSERT_OK(al_query_init(&q, "A", "1"));
    ASSERT_FAILS(al_query_add(&q, "TemplateBody", big));
    ASSERT_INT_EQ(al_error_last()->code, AL_ERR_LIMIT);
    ASSERT_FAILS(al_query_add(&q, "Small", "1"));
    ASSERT(al_query_body(&q) == NULL);
    al_query_clean_up(&q);
    free(big);
}
