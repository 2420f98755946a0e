/*
 * oc_content: the checks `civictv-carousel build` and `validate` make on
 * a civictv content folder before anything goes on air, and the list of
 * files the first screen needs (for the schedule).
 *
 * The JSON rules are model/'s (cm_validate_tree, the same code the app
 * runs on what it receives: docs/content-format.md); this file adds the
 * checks that are about files rather than JSON, with messages
 * "<file>: <field>: <what>":
 *  - every path is a content path (cm_path_ok: what the format allows
 *    and every DSM-CC receiver can carry, ISO/IEC 13818-6 11.3 names);
 *  - every *.png is a PNG (ISO/IEC 15948 signature and IHDR, read with
 *    libpng): a page image no larger than the format's 640x400 (and
 *    256 KiB), any other no larger than the 720x576 screen; the model's
 *    own message about an image reported here is left out, so each bad
 *    image gets one message;
 *  - every file is used: read by the model while it validates (manifest,
 *    menus, pages, images, regions); anything else would be carried but
 *    never shown, which is almost always a mistake in the folder.
 * Files are fetched from the loaded tree so the carousel carries exactly
 * what was checked.
 */
#ifndef OC_CONTENT_H
#define OC_CONTENT_H

#include <stddef.h>

#include "carousel/oc_err.h"
#include "carousel/oc_tree.h"

/* The screen every image must fit (ES 202 184's 720x576 graphics plane). */
#define OC_SCREEN_W 720u
#define OC_SCREEN_H 576u

/* Called once per problem with a borrowed "<file>: <field>: <what>". */
typedef void (*oc_content_report_fn)(void *ud, const char *msg);

/* The number of problems found (0: the content may be broadcast). */
unsigned oc_content_check(const oc_tree *tree, oc_content_report_fn report,
                          void *ud);

/* Check one PNG file (signature and IHDR) against the screen: 0, or 1
 * after reporting what is wrong. */
unsigned oc_content_check_png(const char *path, const uint8_t *data,
                              size_t len, oc_content_report_fn report,
                              void *ud);

/* The same against max_w x max_h, described as limit in the message
 * ("<path>: image: 800x600 is larger than <limit> (at most WxH)"). */
unsigned oc_content_check_image(const char *path, const uint8_t *data,
                                size_t len, unsigned max_w, unsigned max_h,
                                const char *limit,
                                oc_content_report_fn report, void *ud);

/* The files the first screen needs, for the schedule: manifest.json,
 * every file the manifest names (the root menu, the regions file) and
 * every PNG the root menu names.  *paths is an array of *n strings, free
 * with oc_content_paths_free.  A tree without a readable manifest gives
 * an empty list (not an error: --raw trees have none). */
oc_err oc_content_first_screen(const oc_tree *tree, char ***paths,
                               size_t *n);
void oc_content_paths_free(char **paths, size_t n);

#endif
