/*
 * The sample data `make run` and the tests start from: the four fictional
 * councils of the sample content (content/regions.json,
 * docs/sample-content.md) on one server, each with its own keys, services,
 * postcode districts and appointment slots, and a few cases (street
 * reports and form applications with their history) to look up.  The API
 * keys are published here on purpose (they are sandbox keys for testers);
 * the database keeps only their hashes.  Nothing is loaded if the database
 * already has a tenant.
 *
 * Postcode districts follow the content's regions, longest match first:
 * NB1-NB8 Northbury, NB9 Caerwen (in Northbury's area), CE1-CE9 Caerwen,
 * EM1-EM11 Eastmoor, EM12 Riverton (in Eastmoor's area), RV1-RV9 Riverton.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backoffice/bo_app.h"
#include "backoffice/bo_util.h"

static const struct { const char *id, *name, *rate; } tenants[] = {
    { "northbury", "Northbury Borough Council", "6000" },
    { "caerwen", "Caerwen County Council / Cyngor Sir Caerwen", "6000" },
    { "eastmoor", "Eastmoor District Council", "6000" },
    { "riverton", "Riverton City Council", "6000" },
};

static const struct { const char *key, *tenant, *role; } keys[] = {
    { "tv-northbury-sample", "northbury", "tv" },
    { "admin-northbury-sample", "northbury", "admin" },
    { "tv-caerwen-sample", "caerwen", "tv" },
    { "admin-caerwen-sample", "caerwen", "admin" },
    { "tv-eastmoor-sample", "eastmoor", "tv" },
    { "admin-eastmoor-sample", "eastmoor", "admin" },
    { "tv-riverton-sample", "riverton", "tv" },
    { "admin-riverton-sample", "riverton", "admin" },
};

/* Postcode areas and the districts each council serves (outward codes). */
static const struct { const char *area; int first, last; const char *tenant; } areas[] = {
    { "NB", 1, 8, "northbury" }, { "NB", 9, 9, "caerwen" }, { "CE", 1, 9, "caerwen" },
    { "EM", 1, 11, "eastmoor" }, { "EM", 12, 12, "riverton" }, { "RV", 1, 9, "riverton" },
};

#define COUNCIL_TAX(t) \
    { t, "council-tax", "payment", "Pay your Council Tax", "Talu eich Treth Gyngor", \
      "57", "Pay a Council Tax bill by card on your phone.", NULL }

/* Open311 attributes follow GeoReport v2's service definition model. */
static const struct { const char *tenant, *code, *kind, *en, *cy, *lgsl, *desc, *attrs; } services[] = {
    COUNCIL_TAX("northbury"),
    { "northbury", "pothole", "open311", "Report a pothole", "Rhoi gwybod am dwll yn y ffordd",
      NULL, "A pothole in a road or pavement.",
      "[{\"variable\":true,\"code\":\"depth\",\"datatype\":\"singlevaluelist\",\"required\":true,"
      "\"datatype_description\":null,\"order\":1,\"description\":\"How deep is it?\","
      "\"values\":[{\"key\":\"shallow\",\"name\":\"Less than 5 cm\"},"
      "{\"key\":\"deep\",\"name\":\"5 cm or more\"}]}]" },
    { "northbury", "missed-bin", "open311", "Report a missed bin", "Rhoi gwybod am fin heb ei gasglu",
      NULL, "A bin that was not collected on the day.", "[]" },
    { "northbury", "housing-advice", "appointment", "Book housing advice",
      "Trefnu cyngor tai", NULL, "A 30-minute appointment with a housing adviser.", NULL },
    { "northbury", "blue-badge", "form", "Apply for a Blue Badge", "Gwneud cais am Fathodyn Glas",
      NULL, "A parking permit for disabled people.",
      "[{\"variable\":true,\"code\":\"full_name\",\"datatype\":\"string\",\"required\":true,"
      "\"datatype_description\":null,\"order\":1,\"description\":\"Full name\"},"
      "{\"variable\":true,\"code\":\"reason\",\"datatype\":\"text\",\"required\":true,"
      "\"datatype_description\":null,\"order\":2,\"description\":\"Why you need a badge\"}]" },
    COUNCIL_TAX("caerwen"),
    { "caerwen", "fly-tipping", "open311", "Report fly-tipping", "Rhoi gwybod am dipio anghyfreithlon",
      NULL, "Rubbish dumped illegally.", "[]" },
    { "caerwen", "register-office", "appointment", "Book the register office",
      "Trefnu apwyntiad yn y swyddfa gofrestru", NULL, "Register a birth or a death.", NULL },
    COUNCIL_TAX("eastmoor"),
    { "eastmoor", "street-light", "open311", "Report a street light fault",
      "Rhoi gwybod am nam ar olau stryd", NULL, "A street light that is out, flickering or on all day.",
      "[]" },
    { "eastmoor", "bulky-items", "appointment", "Book a bulky item collection",
      "Trefnu casglu eitemau swmpus", NULL, "A collection of large household items.", NULL },
    { "eastmoor", "garden-waste", "form", "Sign up for garden waste collection",
      "Cofrestru ar gyfer casglu gwastraff gardd", NULL, "A brown bin emptied every two weeks.",
      "[{\"variable\":true,\"code\":\"full_name\",\"datatype\":\"string\",\"required\":true,"
      "\"datatype_description\":null,\"order\":1,\"description\":\"Full name\"},"
      "{\"variable\":true,\"code\":\"bins\",\"datatype\":\"number\",\"required\":true,"
      "\"datatype_description\":null,\"order\":2,\"description\":\"How many bins\"}]" },
    COUNCIL_TAX("riverton"),
    { "riverton", "graffiti", "open311", "Report graffiti", "Rhoi gwybod am graffiti",
      NULL, "Graffiti on a public building, wall or sign.", "[]" },
    { "riverton", "parking-permit", "form", "Apply for a residents' parking permit",
      "Gwneud cais am drwydded barcio preswylwyr", NULL, "A permit to park in your street's zone.",
      "[{\"variable\":true,\"code\":\"full_name\",\"datatype\":\"string\",\"required\":true,"
      "\"datatype_description\":null,\"order\":1,\"description\":\"Full name\"},"
      "{\"variable\":true,\"code\":\"registration\",\"datatype\":\"string\",\"required\":true,"
      "\"datatype_description\":null,\"order\":2,\"description\":\"Vehicle registration\"}]" },
    { "riverton", "housing-advice", "appointment", "Book housing advice",
      "Trefnu cyngor tai", NULL, "A 30-minute appointment with a housing adviser.", NULL },
};

/* Sample cases, for Eastmoor and Riverton only (the tests count
 * Northbury's and Caerwen's), with their history: days ago, status, note.
 * Look one up with GET /v1/cases/REF?postcode=PC and the tenant's TV key,
 * or Riverton's street reports with Open311's requests.json. */
static const struct {
    const char *ref, *tenant, *kind, *service, *postcode, *data, *address, *lat, *lon;
    struct { int days_ago; const char *status, *note; } ev[3];
} cases[] = {
    { "EA-B2C3D4F5", "eastmoor", "open311", "street-light", "EM32DC",
      "{\"description\":\"The light outside number 14 has been out for a week.\","
      "\"contact\":{},\"attributes\":{}}", "14 Mill Lane, Eastmoor", "53.0412", "-1.4801",
      { { 3, "OPEN", NULL }, { 2, "INVESTIGATING", "An electrician will visit this week." },
        { -1, NULL, NULL } } },
    { "EA-G6H7J8K9", "eastmoor", "form", "garden-waste", "EM32DC",
      "{\"full_name\":\"Sam Sample\",\"bins\":1}", NULL, NULL, NULL,
      { { 1, "received", NULL }, { -1, NULL, NULL }, { -1, NULL, NULL } } },
    { "RI-B2C3D4F5", "riverton", "open311", "graffiti", "EM127PL",
      "{\"description\":\"Paint on the wall of the bus shelter.\",\"contact\":{},"
      "\"attributes\":{}}", "Bus shelter, Station Road, Riverton", NULL, NULL,
      { { 6, "OPEN", NULL }, { 4, "IN_PROGRESS", NULL },
        { 2, "FIXED", "Cleaned off by the city's street team." } } },
    { "RI-G6H7J8K9", "riverton", "form", "parking-permit", "RV12CC",
      "{\"full_name\":\"Alex Example\",\"registration\":\"AB12 CDE\"}", NULL, NULL, NULL,
      { { 5, "received", NULL }, { 3, "in_progress", "We have asked for proof of address." },
        { -1, NULL, NULL } } },
};

static bo_store_err exec(bo_db *db, const char *sql, int n, const char *const *p)
{
    return bo_db_exec(db, sql, n, p, NULL);
}

#define N(a) (sizeof (a) / sizeof (a)[0])

/* Slots for the next seven days, 09:00 to 12:00 every half hour. */
static bo_store_err add_slots(bo_db *db, const char *tenant, const char *code, time_t now)
{
    bo_store_err e = BO_STORE_OK;
    for (int d = 1; e == BO_STORE_OK && d <= 7; d++) {
        time_t t = now + (time_t)d * 86400;
        struct tm tm;
        gmtime_r(&t, &tm);
        char day[16];
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        for (int m = 9 * 60; e == BO_STORE_OK && m < 12 * 60; m += 30) {
            char id[96], start[8], end[8];
            snprintf(id, sizeof id, "%s-%s-%.4s%.2s%.2s-%02d%02d", tenant, code, day,
                     day + 5, day + 8, m / 60, m % 60);
            snprintf(start, sizeof start, "%02d:%02d", m / 60, m % 60);
            snprintf(end, sizeof end, "%02d:%02d", (m + 30) / 60, (m + 30) % 60);
            const char *ps[6] = { id, tenant, code, day, start, end };
            e = exec(db, "INSERT INTO slots (id, tenant_id, service_code, day, start_time, "
                         "end_time) VALUES ($1, $2, $3, $4, $5, $6)", 6, ps);
        }
    }
    return e;
}

static bo_store_err add_case(bo_db *db, size_t i, time_t now)
{
    int last = 0;
    while (last + 1 < (int)N(cases[i].ev) && cases[i].ev[last + 1].status)
        last++;
    char created[24], updated[24];
    snprintf(created, sizeof created, "%lld", (long long)(now - cases[i].ev[0].days_ago * 86400LL));
    snprintf(updated, sizeof updated, "%lld",
             (long long)(now - cases[i].ev[last].days_ago * 86400LL));
    const char *p[12] = { cases[i].ref, cases[i].tenant, cases[i].kind, cases[i].service,
                          cases[i].postcode, cases[i].ev[last].status, cases[i].data,
                          cases[i].lat, cases[i].lon, cases[i].address, created, updated };
    bo_store_err e = exec(db, "INSERT INTO cases (reference, tenant_id, kind, service_code, "
                              "postcode, person, status, data, lat, lon, address, created, "
                              "updated) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10, "
                              "$11, $12)", 12, p);
    for (int k = 0; e == BO_STORE_OK && k <= last; k++) {
        char seq[8], at[24];
        snprintf(seq, sizeof seq, "%d", k + 1);
        snprintf(at, sizeof at, "%lld", (long long)(now - cases[i].ev[k].days_ago * 86400LL));
        const char *pe[5] = { cases[i].ref, seq, at, cases[i].ev[k].status, cases[i].ev[k].note };
        e = exec(db, "INSERT INTO case_events (reference, seq, at, status, note) "
                     "VALUES ($1, $2, $3, $4, $5)", 5, pe);
    }
    return e;
}

const char *bo_seed_sample_key(int i, const char **tenant, const char **role)
{
    if (i < 0 || (size_t)i >= N(keys))
        return NULL;
    *tenant = keys[i].tenant;
    *role = keys[i].role;
    return keys[i].key;
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
    time_t now = time(NULL);
    for (size_t i = 0; e == BO_STORE_OK && !have && i < N(tenants); i++) {
        const char *p[3] = { tenants[i].id, tenants[i].name, tenants[i].rate };
        e = exec(db, "INSERT INTO tenants (id, name, rate_per_minute) VALUES ($1, $2, $3)", 3, p);
    }
    for (size_t i = 0; e == BO_STORE_OK && !have && i < N(keys); i++) {
        char h[65];
        bo_sha256_hex(keys[i].key, strlen(keys[i].key), h);
        const char *p[4] = { h, keys[i].tenant, keys[i].role, "sample" };
        e = exec(db, "INSERT INTO api_keys (key_hash, tenant_id, role, label) VALUES ($1, $2, $3, $4)",
                 4, p);
    }
    for (size_t i = 0; e == BO_STORE_OK && !have && i < N(areas); i++) {
        for (int d = areas[i].first; e == BO_STORE_OK && d <= areas[i].last; d++) {
            char prefix[8];
            snprintf(prefix, sizeof prefix, "%s%d", areas[i].area, d);
            const char *p[2] = { prefix, areas[i].tenant };
            e = exec(db, "INSERT INTO postcode_areas (prefix, tenant_id) VALUES ($1, $2)", 2, p);
        }
    }
    for (size_t i = 0; e == BO_STORE_OK && !have && i < N(services); i++) {
        const char *p[8] = { services[i].tenant, services[i].code, services[i].kind,
                             services[i].en, services[i].cy, services[i].lgsl,
                             services[i].desc, services[i].attrs };
        e = exec(db, "INSERT INTO services (tenant_id, code, kind, name_en, name_cy, lgsl, "
                     "description, attributes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8, p);
        if (e == BO_STORE_OK && strcmp(services[i].kind, "appointment") == 0)
            e = add_slots(db, services[i].tenant, services[i].code, now);
    }
    for (size_t i = 0; e == BO_STORE_OK && !have && i < N(cases); i++)
        e = add_case(db, i, now);
    if (e == BO_STORE_OK)
        e = bo_db_commit(db);
    else
        bo_db_rollback(db);
    bo_store_release(store, db);
    return e;
}
