/*
 * civictv-carousel's command line: every option value out of range is a
 * usage error (exit 2) naming the option, and writes nothing; good
 * options give a stream whose summary states the cycle time and the
 * worst-case time to the first screen at the chosen bitrate.
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
    char p[128];
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_times, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
