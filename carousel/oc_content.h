/*
 * oc_content: the checks `civictv-carousel build` and `validate` make on
 * a civictv content folder before anything goes on air.
 *
 * Two checks, both with messages "<file>: <field>: <what>":
 *  - every path in the tree is a content path (cm_path_ok: what content
 *    format 1 allows and every DSM-CC receiver can carry);
 *  - the content validates (cm_validate_tree, the same code the app runs
 *    on what it receives), files fetched from the loaded tree so the
 *    carousel carries exactly what was checked.
 */
#ifndef OC_CONTENT_H
#define OC_CONTENT_H

#include "carousel/oc_tree.h"

/* Called once per problem with a borrowed "<file>: <field>: <what>". */
typedef void (*oc_content_report_fn)(void *ud, const char *msg);

/* The number of problems found (0: the content may be broadcast). */
unsigned oc_content_check(const oc_tree *tree, oc_content_report_fn report,
                          void *ud);

#endif
