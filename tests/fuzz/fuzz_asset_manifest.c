/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the asset manifest reader (`*.assets.json` of an untrusted
 * cdk.out). A fixed manifest.json names one stack and one asset manifest;
 * the input is the asset manifest. The folder also holds a file and a
 * directory for sources to point at, so that good inputs reach packaging
 * decisions and the resolution of ${AWS::...} placeholders.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/assembly.h"
#include "util/err.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static const char s_manifest[] =
  "{\"version\":\"36.0.0\",\"artifacts\":{"
  "\"S.assets\":{\"type\":\"cdk:asset-manifest\",\"properties\":{\"file\":\"S.assets.json\","
  "\"requiresBootstrapStackVersion\":6,"
  "\"bootstrapStackVersionSsmParameter\":\"/cdk-bootstrap/hnb659fds/version\"}},"
  "\"S\":{\"type\":\"aws:cloudformation:stack\",\"environment\":\"aws://123456789012/"
  "ap-northeast-1\","
  "\"dependencies\":[\"S.assets\"],\"properties\":{\"templateFile\":\"S.template.json\"}}}}";

static int s_write(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fwrite(data, 1, n, f);
    fclose(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static char dir[PATH_MAX], path[PATH_MAX + 32];
    struct al_assembly a;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "%s/airlock-fuzz-assets-%d", al_temp_dir(), (int)getpid());
        mkdir(dir, 0755);
        snprintf(path, sizeof(path), "%s/manifest.json", dir);
        s_write(path, s_manifest, strlen(s_manifest));
        snprintf(path, sizeof(path), "%s/S.template.json", dir);
        s_write(path, "{\"Resources\":{}}", 16);
        snprintf(path, sizeof(path), "%s/asset.txt", dir);
        s_write(path, "asset", 5);
        snprintf(path, sizeof(path), "%s/asset.dir", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/asset.dir/index.js", dir);
        s_write(path, "exports.handler=1", 17);
        snprintf(path, sizeof(path), "%s/S.assets.json", dir);
    }
    if (s_write(path, (const char *)data, n))
        return 0;
    if (al_assembly_load(dir, &a) == 0)
        al_assembly_resolve(&a, "123456789012", "ap-northeast-1", NULL);
    al_assembly_clean_up(&a);
    al_error_clear();
    return 0;
}
