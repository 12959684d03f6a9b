/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the cloud assembly reader (manifest.json of an untrusted cdk.out). */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/assembly.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static char dir[PATH_MAX], path[PATH_MAX + 32];
    struct al_assembly a;
    FILE *f;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "%s/airlock-fuzz-asm-%d", al_temp_dir(), (int)getpid());
        mkdir(dir, 0755);
        snprintf(path, sizeof(path), "%s/manifest.json", dir);
    }
    f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, n, f);
    fclose(f);
    if (al_assembly_load(dir, &a) == 0)
        al_assembly_resolve(&a, "123456789012", "ap-northeast-1", NULL);
    al_assembly_clean_up(&a);
    return 0;
}
