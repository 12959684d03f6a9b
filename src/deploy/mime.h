/* SPDX-License-Identifier: Apache-2.0 */
/* Content-Type by file extension: a built-in table of current web types. */
#ifndef AL_DEPLOY_MIME_H
#define AL_DEPLOY_MIME_H

/**
 * The Content-Type for a file name (its last extension, case-insensitive);
 * text types carry "; charset=utf-8". Unknown: "application/octet-stream".
 * @return a static string.
 */
const char *al_mime_type(const char *name);

#endif
