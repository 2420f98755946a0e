/*
 * civictv-carousel's command line: every option value out of range is a
 * usage error (exit 2) naming the option, and writes nothing; good
 * options give a stream whose summary states the cycle time and the
 * worst-case time to the first screen at the chosen bitrate.  Outputs
 * that cannot be written (a folder, a missing folder, a full disk for
 * the stream or for its state, an update onto a full disk) leave no
 * stream, temporary or state file, and an update leaves the old ones as
 * they were.  `--raw` carries odd trees (empty folders and files, deep
 * nesting, 254-byte names, spaces, UTF-8, '%') byte for byte through
 * extract and refuses what a BIOP name cannot hold.  validate's exit
 * codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/civictv-oc-cli-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/c/a' && printf 'hello' > "
             "'%s/c/a/x'", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run "civictv-carousel ARGS" in dir; exit status, stderr+stdout in out. */
static int run(const char *args, char *out, size_t n)
{
    const char *b = getenv("CIVICTV_BUILD");
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/%s/civictv-carousel' %s "
             "> log.txt 2>&1", dir, cwd, b ? b : "build", args);
    int st = system(cmd);
    char p[128];
    snprintf(p, sizeof p, "%s/log.txt", dir);
    FILE *f = fopen(p, "rb");
    size_t k = f ? fread(out, 1, n - 1, f) : 0;
    out[k] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int exists(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_bad_values(void **state)
{
    (void)state;
    static const struct { const char *args, *names; } cases[] = {
        { "--pid 0x1FFF", "--pid" },
        { "--pid 8", "--pid" },
        { "--pmt-pid 0x101", "--pid: must differ from --pmt-pid" },
        { "--service-id 0", "--service-id" },
        { "--tsid 70000", "--tsid" },
        { "--carousel-id -1", "--carousel-id" },
        { "--component-tag 256", "--component-tag" },
        { "--block-size 4067", "--block-size" },
        { "--module-size 100", "--module-size" },
        { "--compress fast", "--compress" },
        { "--carousel-bitrate 1x", "--carousel-bitrate" },
        { "--carousel-bitrate 1M --ts-bitrate 1M", "--ts-bitrate" },
        { "--cycles 0", "--cycles" },
        { "--cycles 2 --duration 5 --carousel-bitrate 1M",
          "--cycles and --duration" },
        { "--duration 5", "--duration: needs" },
        { "--first-share 60", "--first-share" },
        { "--boot-priority 4", "--boot-priority" },
        { "--frobnicate", "unknown option --frobnicate" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[256], out[4096];
        snprintf(args, sizeof args, "build --raw c -o o.ts %s",
                 cases[i].args);
        int rc = run(args, out, sizeof out);
        if (rc != 2 || !strstr(out, cases[i].names))
            fail_msg("%s: exit %d, output:\n%s", cases[i].args, rc, out);
        assert_false(exists("o.ts"));
        assert_false(exists("o.ts.state"));
    }
    char out[4096];
    /* update refuses id options: they come from the state */
    assert_int_equal(run("update s c -o n.ts --pid 0x300", out, sizeof out),
                     2);
    assert_non_null(strstr(out, "--pid: an update keeps"));
    assert_int_equal(run("play", out, sizeof out), 2);
    assert_int_equal(run("play x.ts --udp 127.0.0.1:9", out, sizeof out), 2);
    assert_non_null(strstr(out, "--bitrate"));
    assert_int_equal(run("frob", out, sizeof out), 2);
}

static void test_summary_times(void **state)
{
    (void)state;
    char out[4096];
    int rc = run("build --raw c -o o.ts --carousel-bitrate 500k "
                 "--ts-bitrate 1M --cycles 3 --compress never", out,
                 sizeof out);
    if (rc != 0)
        fail_msg("exit %d:\n%s", rc, out);
    assert_non_null(strstr(out, "at 1000000 bit/s: cycle "));
    assert_non_null(strstr(out, "worst-case first screen "));
    assert_non_null(strstr(out, "3 cycles"));
    assert_non_null(strstr(out, "state for updates in o.ts.state"));
    assert_true(exists("o.ts"));
    assert_false(exists("o.ts.tmp"));
    assert_false(exists("o.ts.state.tmp"));
}

/* Run a shell command in dir; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
    char cmd[4096], inner[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inner, sizeof inner, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s", dir, inner);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_nothing(const char *base)
{
    static const char *const suf[] = { "", ".tmp", ".state", ".state.tmp" };
    for (size_t i = 0; i < 4; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s%s", base, suf[i]);
        if (exists(p))
            fail_msg("%s was left behind", p);
    }
}

static void test_output_problems(void **state)
{
    (void)state;
    char out[4096];
    /* -o names a folder: refused before anything is written (no
     * od.state beside it) */
    assert_int_equal(sh("mkdir %s", "od"), 0);
    assert_int_equal(run("build --raw c -o od", out, sizeof out), 1);
    assert_non_null(strstr(out, "od: is a folder"));
    assert_false(exists("od.state"));
    assert_false(exists("od.tmp"));
    /* a folder that does not exist */
    assert_int_equal(run("build --raw c -o nope/o.ts", out, sizeof out), 1);
    assert_non_null(strstr(out, "nope/o.ts: cannot be written"));
    if (access("/dev/full", W_OK) != 0)
        skip();
    /* A full disk under the stream, then under the state: the error
     * names the file and the reason; nothing is left. */
    assert_int_equal(sh("ln -s /dev/full %s", "o.ts.tmp"), 0);
    assert_int_equal(run("build --raw c -o o.ts", out, sizeof out), 1);
    if (!strstr(out, "o.ts: not written") ||
        !strstr(out, "No space left on device"))
        fail_msg("%s", out);
    assert_nothing("o.ts");
    assert_int_equal(sh("ln -s /dev/full %s", "o.ts.state.tmp"), 0);
    assert_int_equal(run("build --raw c -o o.ts", out, sizeof out), 1);
    if (!strstr(out, "o.ts.state: not written") ||
        !strstr(out, "No space left on device"))
        fail_msg("%s", out);
    assert_nothing("o.ts");
    /* An update onto a full disk keeps the stream and state there. */
    assert_int_equal(run("build --raw c -o o.ts", out, sizeof out), 0);
    assert_int_equal(sh("cp o.ts %s && cp o.ts.state keep.state && "
                        "printf changed > c/a/x", "keep.ts"), 0);
    assert_int_equal(sh("ln -s /dev/full %s", "o.ts.tmp"), 0);
    assert_int_equal(run("update o.ts.state c -o o.ts", out, sizeof out), 1);
    assert_int_equal(sh("cmp -s o.ts keep.ts && cmp -s o.ts.state %s && "
                        "test ! -e o.ts.tmp && test ! -e o.ts.state.tmp",
                        "keep.state"), 0);
    assert_int_equal(sh("ln -s /dev/full %s", "o.ts.state.tmp"), 0);
    assert_int_equal(run("update o.ts.state c -o o.ts", out, sizeof out), 1);
    assert_int_equal(sh("cmp -s o.ts keep.ts && cmp -s o.ts.state %s && "
                        "test ! -e o.ts.tmp && test ! -e o.ts.state.tmp",
                        "keep.state"), 0);
    /* and with room it goes through */
    assert_int_equal(run("update o.ts.state c -o o.ts", out, sizeof out), 0);
    assert_non_null(strstr(out, "1 of"));
}

/* --duration shorter than one cycle: the bitrate is too low for the
 * carousel; nothing written. */
static void test_bitrate_too_low(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(sh("head -c 40000 /dev/urandom > %s", "c/a/big"), 0);
    int rc = run("build --raw c -o o.ts --carousel-bitrate 50k --duration 1",
                 out, sizeof out);
    if (rc != 2 || !strstr(out, "too low for the carousel") ||
        !strstr(out, "--duration 1"))
        fail_msg("exit %d:\n%s", rc, out);
    assert_nothing("o.ts");
    /* a duration that holds a cycle is fine */
    assert_int_equal(run("build --raw c -o o.ts --carousel-bitrate 50k "
                         "--duration 60", out, sizeof out), 0);
}

static void test_raw_odd_trees(void **state)
{
    (void)state;
    char out[4096];
    char name254[255];
    memset(name254, 'n', 254);
    name254[254] = '\0';
    assert_int_equal(sh("mkdir -p r/empty-folder r/deep/1/2/3/4/5/6/7/8/9/"
                        "10/11/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26/"
                        "27/28/29/30 && : > r/empty-file && : > r/deep/1/"
                        "2/zero && printf deep > r/deep/1/2/3/4/5/6/7/8/9/"
                        "10/11/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26/"
                        "27/28/29/30/f && printf a > 'r/with space' && "
                        "printf b > 'r/caf\303\251 %%41' && printf c > "
                        "r/%s", name254), 0);
    int rc = run("build --raw r -o r.ts", out, sizeof out);
    if (rc != 0)
        fail_msg("exit %d:\n%s", rc, out);
    rc = run("extract r.ts x", out, sizeof out);
    if (rc != 0)
        fail_msg("extract: exit %d:\n%s", rc, out);
    assert_int_equal(sh("diff -r r %s", "x"), 0);
    /* the odd names go through the state file too */
    rc = run("update r.ts.state r -o r2.ts", out, sizeof out);
    if (rc != 0 || !strstr(out, "0 of"))
        fail_msg("update: exit %d:\n%s", rc, out);
    /* What a BIOP name cannot hold (255 bytes), folders nested beyond 32
     * and special files: refused, named, nothing written. */
    assert_int_equal(sh("mkdir -p r3 && printf x > r3/n%s", name254), 0);
    assert_int_equal(run("build --raw r3 -o o.ts", out, sizeof out), 1);
    if (!strstr(out, "name cannot be carried") ||
        !strstr(out, "nothing written"))
        fail_msg("%s", out);
    assert_nothing("o.ts");
    assert_int_equal(sh("mkdir -p r4/%s && printf x > r4/f",
                        "1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/"
                        "21/22/23/24/25/26/27/28/29/30/31/32/33/34"), 0);
    assert_int_equal(run("build --raw r4 -o o.ts", out, sizeof out), 1);
    assert_non_null(strstr(out, "folders nested too deeply"));
    assert_nothing("o.ts");
    assert_int_equal(sh("mkdir -p r5 && mkfifo %s", "r5/fifo"), 0);
    assert_int_equal(run("build --raw r5 -o o.ts", out, sizeof out), 1);
    assert_non_null(strstr(out, "fifo: not a regular file or folder"));
    assert_non_null(strstr(out, "r5: not read (1 problem); nothing written"));
    assert_nothing("o.ts");
}

static void test_validate_exit_codes(void **state)
{
    (void)state;
    char out[4096];
    /* 1: content that is not valid (here: no manifest), or no folder */
    assert_int_equal(run("validate c", out, sizeof out), 1);
    assert_non_null(strstr(out, "manifest.json: missing"));
    assert_int_equal(run("validate none", out, sizeof out), 1);
    assert_non_null(strstr(out, "none: not read"));
    /* 2: usage */
    assert_int_equal(run("validate", out, sizeof out), 2);
    assert_int_equal(run("validate c c", out, sizeof out), 2);
    assert_int_equal(run("validate --frob c", out, sizeof out), 2);
    /* 0: valid, and nothing written */
    const char *b = getenv("CIVICTV_BUILD");
    (void)b;
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char args[700];
    snprintf(args, sizeof args, "validate '%s/content'", cwd);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "content: valid"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_problems, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bitrate_too_low, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_raw_odd_trees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate_exit_codes, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
