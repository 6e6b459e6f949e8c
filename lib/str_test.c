/* str_test - bounded string helpers */
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "tap.h"

static void test_copy(void)
{
    char small[4];

    ok(str_copy(small, "abc", sizeof(small)) == 0, "copy that fits");
    is_str(small, "abc", "copied");
    ok(str_copy(small, "abcd", sizeof(small)) < 0, "copy that does not fit fails");
    is_str(small, "abc", "truncated and terminated");
    ok(str_ncopy(small, sizeof(small), "xyzw", 2) == 0, "ncopy of a prefix");
    is_str(small, "xy", "prefix copied");
}

static void test_u64(void)
{
    static const struct {
	const char *s;
	uint64_t max;
	int ret;
	uint64_t want;
    } cases[] = {
	{"0", 10, 0, 0},
	{"10", 10, 0, 10},
	{"11", 10, -1, 0},
	{"", 10, -1, 0},
	{"-1", 10, -1, 0},
	{"+1", 10, -1, 0},
	{" 1", 10, -1, 0},
	{"1x", 10, -1, 0},
	{"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
	{"18446744073709551616", UINT64_MAX, -1, 0},
	{"99999999999999999999999", UINT64_MAX, -1, 0},
	{"7", 5, -1, 0},
	{"65535", 65535, 0, 65535},
	{"65536", 65535, -1, 0},
    };
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	uint64_t v = 0;
	int ret = str_to_u64(cases[i].s, strlen(cases[i].s), cases[i].max, &v);

	ok(ret == cases[i].ret && (ret < 0 || v == cases[i].want),
	   "str_to_u64(\"%s\", max %llu)", cases[i].s, (unsigned long long) cases[i].max);
    }
}

static void test_printable(void)
{
    char out[32];

    str_printable(out, sizeof(out), "a\r\nb\\c\x80", 7);
    is_str(out, "a\\x0d\\x0ab\\x5cc\\x80", "controls, backslash and 8-bit escaped");
    str_printable(out, 12, "0123456789abcdef", 16);
    ok(strlen(out) < 12 && strstr(out, "...") != NULL, "long input truncated with ...");
}

static void test_misc(void)
{
    char **vec;
    size_t n;
    const char *p;
    size_t len;
    char s[] = "MiXeD.Example";

    ok(str_eq_ci("Example.COM", "example.com"), "eq_ci ignores case");
    ok(!str_eq_ci("example.com", "example.co"), "eq_ci checks length");
    ok(str_neq_ci("FROMxyz", 4, "from"), "neq_ci compares a counted prefix");
    ok(!str_neq_ci("FRO", 3, "from"), "neq_ci needs the whole word");
    str_lower(s);
    is_str(s, "mixed.example", "lower");
    len = 7;
    p = str_trim("  ab c \t", &len);
    ok(len == 4 && memcmp(p, "ab c", 4) == 0, "trim");
    ok(str_split(" a, b ,,c ", ',', &vec, &n, 8) == 0 && n == 3, "split skips empty fields");
    is_str(vec[1], "b", "split trims");
    str_split_free(vec, n);
    ok(str_split("a,b,c", ',', &vec, &n, 2) < 0, "split stops at its maximum");
    ok(str_split("", ',', &vec, &n, 2) == 0 && n == 0, "split of nothing");
    str_split_free(vec, n);
}

int main(void)
{
    test_copy();
    test_u64();
    test_printable();
    test_misc();
    return tap_done();
}
