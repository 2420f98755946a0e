/*
 * bo_oauth: RFC 8628 device authorization for the TV, with the token
 * endpoint of RFC 6749 (section 5) and refresh tokens (section 6).
 */
#ifndef BO_OAUTH_H
#define BO_OAUTH_H

#include "backoffice/bo_api_int.h"

typedef enum {
    BO_DEVICE_APPROVED,
    BO_DEVICE_DENIED,
    BO_DEVICE_BAD_CODE      /* unknown, expired or already decided */
} bo_device_result;

/* The phone page's decision on a user code (as typed). */
bo_store_err bo_device_decide(bo_app *app, const char *user_code, int approve,
                              bo_device_result *res);

#endif
