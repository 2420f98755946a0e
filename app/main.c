/*
 * civictv: the red-button application of public services.
 *
 *   civictv [options] STREAM.ts
 *   civictv [options] --content DIR
 *
 * Options are described in usage() and the README.  DirectFB's own
 * options (--dfb:...) are passed through to DirectFBInit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"

static void usage(FILE *to)
{
    fputs(
        "usage: civictv [options] STREAM.ts\n"
        "       civictv [options] udp://ADDR:PORT | rtp://ADDR:PORT\n"
        "       civictv [options] --demux /dev/dvb/adapterN/demuxN\n"
        "       civictv [options] --content DIR\n"
        "\n"
        "  --pid N             the carousel's PID, for streams without PAT/PMT\n"
        "  --service N         the service (program_number) to use; default: the\n"
        "                      first with a carousel\n"
        "  --headless          no window: DirectFB's dummy system (tests, CI)\n"
        "  --window, --emulator  the TV screen in a desktop window (SDL2)\n"
        "  --scale 1|2         window size\n"
        "  --keys K1,K2,...    scripted remote keys\n"
        "  --script FILE       scripted keys, one per line ('wait MS' pauses,\n"
        "                      '#' comments)\n"
        "  --screenshots DIR   write DIR/000-start.png, then DIR/NNN-KEY.png\n"
        "                      after each key (NNN-update.png after an update)\n"
        "  --keys-at-once      play the keys from the first frame rather than\n"
        "                      once the carousel is in (keys then meet the\n"
        "                      loading screen; NNN-ready.png when it is in)\n"
        "  --content DIR       read a content folder instead of a stream\n"
        "  --demux DEVICE      read a DVB demux device (with --pid: section\n"
        "                      filters on that PID, else the whole multiplex)\n"
        "  --rate BITS         read the stream at this many bits per second\n"
        "  --fonts FILE        font roles (see fonts/fonts.conf)\n"
        "  --settings FILE     the viewer's settings (default:\n"
        "                      $XDG_CONFIG_HOME/civictv/settings)\n"
        "  --idle-timeout S    back to TV after S seconds without a key\n"
        "                      (default 300; 0: never)\n"
        "  --keymap FILE       key map for the box's remote and the desktop\n"
        "                      keyboard (see docs/viewer.md)\n"
        "  --tv-picture PNG    the still shown as the programme\n"
        "  --check-fit         report on stderr any text that does not fit its\n"
        "                      box (for content authors and tests)\n"
        "  -v, --verbose       receiver diagnostics on stderr (twice: more)\n"
        "  --help              this text\n"
        "\n"
        "Without --headless or --window, DirectFB runs as configured (the box).\n"
        "Keys: up down left right ok back exit red green yellow blue info 0..9.\n"
        "Desktop keys: arrows, Enter = OK, Backspace = Back, Esc = Exit,\n"
        "F1-F4 or r g y b = colour keys, digits, F5 or i = Info (the key map).\n"
        "Exit status: 0 success, 1 stream, content or screen failure, 2 usage.\n",
        to);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    app_options o;
    memset(&o, 0, sizeof o);
    o.pid = -1;
    o.service_id = -1;
    o.mode = UI_MODE_BOX;
    o.scale = 1;
    o.idle_timeout_s = 300;
    o.argc = &argc;
    o.argv = &argv;
    int status = 2;
    char err[512];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strncmp(a, "--dfb:", 6) == 0)
            continue;   /* DirectFB's */
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            status = 0;
            goto out;
        } else if (!strcmp(a, "--headless")) {
            o.mode = UI_MODE_HEADLESS;
        } else if (!strcmp(a, "--window") || !strcmp(a, "--emulator")) {
            o.mode = UI_MODE_WINDOW;
        } else if (!strcmp(a, "--keys-at-once")) {
            o.keys_at_once = 1;
        } else if (!strcmp(a, "--check-fit")) {
            o.check_fit = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o.verbose++;
        } else if (a[0] == '-' && a[1] == '-' && a[2] && !v) {
            fprintf(stderr, "civictv: %s: needs a value (or is unknown)\n", a);
            goto out;
        } else if (!strcmp(a, "--pid")) {
            if (parse_long(v, 0, 0x1FFE, &n)) {
                fprintf(stderr, "civictv: --pid: \"%s\" is not a PID (0..8190)\n", v);
                goto out;
            }
            o.pid = (int)n;
            i++;
        } else if (!strcmp(a, "--service")) {
            if (parse_long(v, 1, 65535, &n)) {
                fprintf(stderr, "civictv: --service: \"%s\" is not a program_number\n", v);
                goto out;
            }
            o.service_id = (int)n;
            i++;
        } else if (!strcmp(a, "--scale")) {
            if (parse_long(v, 1, 2, &n)) {
                fprintf(stderr, "civictv: --scale: 1 or 2\n");
                goto out;
            }
            o.scale = (int)n;
            i++;
        } else if (!strcmp(a, "--rate")) {
            if (parse_long(v, 1000, 1000000000L, &n)) {
                fprintf(stderr, "civictv: --rate: bits per second, 1000 or more\n");
                goto out;
            }
            o.rate_bps = (unsigned long)n;
            i++;
        } else if (!strcmp(a, "--keys")) {
            if (app_script_add_keys(&o.script, v, err, sizeof err) != APP_SCRIPT_OK) {
                fprintf(stderr, "civictv: --keys: %s\n", err);
                goto out;
            }
            i++;
        } else if (!strcmp(a, "--script")) {
            app_script_err e = app_script_add_file(&o.script, v, err, sizeof err);
            if (e != APP_SCRIPT_OK) {
                fprintf(stderr, "civictv: %s\n", err);
                status = e == APP_SCRIPT_EIO ? 1 : 2;
                goto out;
            }
            i++;
        } else if (!strcmp(a, "--screenshots")) {
            o.screenshots = v;
            i++;
        } else if (!strcmp(a, "--demux")) {
            /* A device is a stream like any other (app_run tells it by
             * being a character device); --demux only says so. */
            if (o.ts_path) {
                fprintf(stderr, "civictv: one stream at a time (%s and %s)\n", o.ts_path, v);
                goto out;
            }
            o.ts_path = v;
            i++;
        } else if (!strcmp(a, "--content")) {
            o.content_dir = v;
            i++;
        } else if (!strcmp(a, "--fonts")) {
            o.fonts_conf = v;
            i++;
        } else if (!strcmp(a, "--settings")) {
            o.settings_path = v;
            i++;
        } else if (!strcmp(a, "--keymap")) {
            o.keymap_path = v;
            i++;
        } else if (!strcmp(a, "--tv-picture")) {
            o.tv_picture = v;
            i++;
        } else if (!strcmp(a, "--idle-timeout")) {
            if (parse_long(v, 0, 86400, &n)) {
                fprintf(stderr, "civictv: --idle-timeout: seconds, 0 to 86400\n");
                goto out;
            }
            o.idle_timeout_s = n;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "civictv: %s: unknown option (see --help)\n", a);
            goto out;
        } else if (!o.ts_path) {
            o.ts_path = a;
        } else {
            fprintf(stderr, "civictv: one stream at a time (%s and %s)\n", o.ts_path, a);
            goto out;
        }
    }
    if (!o.ts_path == !o.content_dir) {
        fprintf(stderr, o.ts_path ? "civictv: a stream or --content, not both\n"
                                  : "civictv: no stream given (see --help)\n");
        goto out;
    }
    status = app_run(&o);
out:
    app_script_free(&o.script);
    return status;
}
