/*
 * The sample data `make run` and the tests start from: two fictional
 * councils on one server, each with its own keys, services, postcode areas
 * and appointment slots.  The API keys are published here on purpose (they
 * are sandbox keys for testers); the database keeps only their hashes.
 * Nothing is loaded if the database already has a tenant.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backoffice/bo_app.h"
#include "backoffice/bo_util.h"

static const struct { const char *id, *name, *rate; } tenants[] = {
    { "northshire", "Northshire Council", "6000" },
    { "valeborough", "Vale Borough Council / Cyngor Bwrdeistref y Fro", "6000" },
};

static const struct { const char *key, *tenant, *role; } keys[] = {
    { "tv-northshire-sample", "northshire", "tv" },
    { "admin-northshire-sample", "northshire", "admin" },
    { "tv-valeborough-sample", "valeborough", "tv" },
    { "admin-valeborough-sample", "valeborough", "admin" },
};

static const struct { const char *prefix, *tenant; } areas[] = {
    { "NS1", "northshire" }, { "NS2", "northshire" }, { "NS3", "northshire" },
    { "VB1", "valeborough" }, { "VB2", "valeborough" },
};

/* Open311 attributes follow GeoReport v2's service definition model. */
static const struct { const char *tenant, *code, *kind, *en, *cy, *lgsl, *desc, *attrs; } services[] = {
    { "northshire", "council-tax", "payment", "Pay your Council Tax", "Talu eich Treth Gyngor",
      "57", "Pay a Council Tax bill by card on your phone.", NULL },
    { "northshire", "pothole", "open311", "Report a pothole", "Rhoi gwybod am dwll yn y ffordd",
      NULL, "A pothole in a road or pavement.",
      "[{\"variable\":true,\"code\":\"depth\",\"datatype\":\"singlevaluelist\",\"required\":true,"
      "\"datatype_description\":null,\"order\":1,\"description\":\"How deep is it?\","
      "\"values\":[{\"key\":\"shallow\",\"name\":\"Less than 5 cm\"},"
      "{\"key\":\"deep\",\"name\":\"5 cm or more\"}]}]" },
    { "northshire", "missed-bin", "open311", "Report a missed bin", "Rhoi gwybod am fin heb ei gasglu",
      NULL, "A bin that was not collected on the day.", "[]" },
    { "northshire", "housing-advice", "appointment", "Book housing advice",
      "Trefnu cyngor tai", NULL, "A 30-minute appointment with a housing adviser.", NULL },
    { "northshire", "blue-badge", "form", "Apply for a Blue Badge", "Gwneud cais am Fathodyn Glas",
      NULL, "A parking permit for disabled people.",
      "[{\"variable\":true,\"code\":\"full_name\",\"datatype\":\"string\",\"required\":true,"
      "\"datatype_description\":null,\"order\":1,\"description\":\"Full name\"},"
      "{\"variable\":true,\"code\":\"reason\",\"datatype\":\"text\",\"required\":true,"
      "\"datatype_description\":null,\"order\":2,\"description\":\"Why you need a badge\"}]" },
    { "valeborough", "council-tax", "payment", "Pay your Council Tax", "Talu eich Treth Gyngor",
      "57", "Pay a Council Tax bill by card on your phone.", NULL },
    { "valeborough", "fly-tipping", "open311", "Report fly-tipping", "Rhoi gwybod am dipio anghyfreithlon",
      NULL, "Rubbish dumped illegally.", "[]" },
    { "valeborough", "register-office", "appointment", "Book the register office",
      "Trefnu apwyntiad yn y swyddfa gofrestru", NULL, "Register a birth or a death.", NULL },
};

static bo_store_err exec(bo_db *db, const char *sql, int n, const char *const *p)
{
    return bo_db_exec(db, sql, n, p, NULL);
}

bo_store_err bo_seed_sample(bo_store *store)
{
    bo_db *db = bo_store_acquire(store);
    bo_rows *rows = NULL;
    bo_store_err e = bo_db_begin(db, 1);
    if (e == BO_STORE_OK)
        e = bo_db_exec(db, "SELECT COUNT(*) FROM tenants", 0, NULL, &rows);
    int have = e == BO_STORE_OK && rows && bo_rows_get(rows, 0, 0) &&
               strcmp(bo_rows_get(rows, 0, 0), "0") != 0;
    bo_rows_free(rows);
    for (size_t i = 0; e == BO_STORE_OK && !have && i < sizeof tenants / sizeof tenants[0]; i++) {
        const char *p[3] = { tenants[i].id, tenants[i].name, tenants[i].rate };
        e = exec(db, "INSERT INTO tenants (id, name, rate_per_minute) VALUES ($1, $2, $3)", 3, p);
    }
    for (size_t i = 0; e == BO_STORE_OK && !have && i < sizeof keys / sizeof keys[0]; i++) {
        char h[65];
        bo_sha256_hex(keys[i].key, strlen(keys[i].key), h);
        const char *p[4] = { h, keys[i].tenant, keys[i].role, "sample" };
        e = exec(db, "INSERT INTO api_keys (key_hash, tenant_id, role, label) VALUES ($1, $2, $3, $4)",
                 4, p);
    }
    for (size_t i = 0; e == BO_STORE_OK && !have && i < sizeof areas / sizeof areas[0]; i++) {
        const char *p[2] = { areas[i].prefix, areas[i].tenant };
        e = exec(db, "INSERT INTO postcode_areas (prefix, tenant_id) VALUES ($1, $2)", 2, p);
    }
    for (size_t i = 0; e == BO_STORE_OK && !have && i < sizeof services / sizeof services[0]; i++) {
        const char *p[8] = { services[i].tenant, services[i].code, services[i].kind,
                             services[i].en, services[i].cy, services[i].lgsl,
                             services[i].desc, services[i].attrs };
        e = exec(db, "INSERT INTO services (tenant_id, code, kind, name_en, name_cy, lgsl, "
                     "description, attributes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8, p);
        if (strcmp(services[i].kind, "appointment") != 0)
            continue;
        /* Slots for the next seven days, 09:00 to 12:00 every half hour. */
        time_t now = time(NULL);
        for (int d = 1; e == BO_STORE_OK && d <= 7; d++) {
            time_t t = now + (time_t)d * 86400;
            struct tm tm;
            gmtime_r(&t, &tm);
            char day[16];
            strftime(day, sizeof day, "%Y-%m-%d", &tm);
            for (int m = 9 * 60; e == BO_STORE_OK && m < 12 * 60; m += 30) {
                char id[96], start[8], end[8];
                snprintf(id, sizeof id, "%s-%s-%.4s%.2s%.2s-%02d%02d", services[i].tenant,
                         services[i].code, day, day + 5, day + 8, m / 60, m % 60);
                snprintf(start, sizeof start, "%02d:%02d", m / 60, m % 60);
                snprintf(end, sizeof end, "%02d:%02d", (m + 30) / 60, (m + 30) % 60);
                const char *ps[6] = { id, services[i].tenant, services[i].code, day, start, end };
                e = exec(db, "INSERT INTO slots (id, tenant_id, service_code, day, start_time, "
                             "end_time) VALUES ($1, $2, $3, $4, $5, $6)", 6, ps);
            }
        }
    }
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    bo_store_release(store, db);
    return e;
}
