/*
 * civictv-carousel inspect and extract: reading a transport stream back
 * the way a receiver does (dvb/dvb.h), with the analyser of
 * dvb/dvb_introspect.h beside it for what an engineer wants to see.
 *
 *   inspect IN.ts            services, PIDs, carousels, DSI/DII, modules,
 *                            the object tree and the errors found
 *   extract IN.ts OUT_DIR    the carousel's files and directories
 *
 * Both take --pid (streams without PAT/PMT; without it and without
 * PAT/PMT the first PID carrying DSM-CC sections is used, and said so),
 * --service and --carousel-id (to choose one of several), --progress
 * (progress on stderr is otherwise shown only on a terminal) and --loop
 * (a capture that starts mid-cycle completes when read round again, as
 * a receiver sees a carousel on air).
 *
 * oc_read_stream is shared by both: it reads the file through a
 * dvb_source (dvb/dvb_source.h) into a receiver and, for inspect, an
 * analyser.
 */
#ifndef OC_INSPECT_H
#define OC_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dvb/dvb.h"
#include "dvb/dvb_introspect.h"

typedef struct {
    int pid;                 /* --pid, or -1 */
    int service_id;          /* --service, or -1 */
    int64_t carousel_id;     /* --carousel-id, or -1 */
    int progress;            /* 1 --progress, 0 only on a tty */
    int loop;                /* --loop: read again from the start while the
                              * carousel is incomplete, up to
                              * OC_READ_MAX_PASSES passes */
} oc_read_options;

#define OC_READ_MAX_PASSES 3

#define OC_READ_MAX_ERRORS 32

typedef struct {
    char msg[160];
    unsigned count;
} oc_read_error;

typedef struct {
    dvb_receiver *rx;        /* the receiver that followed the carousel */
    dvb_analyser *an;        /* NULL unless asked for */
    int pid_guessed;         /* the PID came from the sections, not PSI */
    int pid_used;            /* -1: no carousel found */
    uint64_t bytes;
    oc_read_error errors[OC_READ_MAX_ERRORS];
    unsigned nerrors;
    unsigned errors_dropped; /* distinct messages beyond the table */
    int over_limit;
} oc_read_result;

/* Reads path to its end.  Returns 0, or 1 after a message on err when
 * the file cannot be read or memory runs out.  oc_read_free() frees the
 * result in every case. */
int oc_read_stream(const char *path, const oc_read_options *o, bool analyse,
                   const char *prog, FILE *err, oc_read_result *res);
void oc_read_free(oc_read_result *res);

/* Option parsing shared by the two subcommands: consumes --pid,
 * --service, --carousel-id, --progress and --loop at argv[*i] (advancing *i);
 * 1 when consumed, 0 when not one of them, -1 after a usage message. */
int oc_read_option(int argc, char **argv, int *i, oc_read_options *o,
                   const char *prog, FILE *err);

/* The options and arguments of either subcommand: oc_read_option for
 * each option, at most max_args others into args (*nargs of them).
 * Returns -1 to go on, or the exit status to return: 0 after --help
 * (usage written on out), 2 after a usage message on err. */
int oc_read_args(int argc, char **argv, const char *prog,
                 void (*usage)(FILE *), FILE *out, FILE *err,
                 oc_read_options *o, const char **args, int max_args,
                 int *nargs);

/* The help text of the options oc_read_option takes. */
#define OC_READ_OPTIONS_HELP \
"  --pid PID            the carousel's PID (streams without PAT/PMT; by\n" \
"                       default the first PID with DSM-CC sections)\n" \
"  --service N          the service (program_number) to follow\n" \
"  --carousel-id N      the carousel to follow, if there are several\n" \
"  --progress           progress on stderr (default: only on a terminal)\n" \
"  --loop               read the file round again (up to 3 times in all)\n" \
"                       while the carousel is incomplete: for captures that\n" \
"                       start mid-cycle\n"

/* The receiver's object store: the complete one (*complete = 1) or,
 * when the carousel is incomplete, what has arrived (*complete = 0);
 * NULL when not even the ServiceGateway has.  Release it with
 * dvb_store_release. */
dvb_store *oc_read_store(const oc_read_result *res, int *complete);

/* The subcommands: argv[0] is the first argument after the command's
 * name.  Exit status: inspect 0 when the stream was read, 1 when it could
 * not be; extract 0 when the carousel was complete and written, 1 when it
 * was incomplete, absent or could not be written (what was complete is
 * still written); both 2 for usage. */
int oc_inspect_main(int argc, char **argv, FILE *out, FILE *err);
int oc_extract_main(int argc, char **argv, FILE *out, FILE *err);
/* The same on stdout and stderr, for civictv-carousel's command table. */
int oc_inspect_cmd(int argc, char **argv);
int oc_extract_cmd(int argc, char **argv);

#endif
