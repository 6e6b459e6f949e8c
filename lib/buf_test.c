/* buf_test - the bounded buffer */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

static void test_limit(void)
{
    struct buf b = BUF_INIT(8);

    ok(buf_addstr(&b, "abcd") == 0, "append within the maximum");
    ok(buf_addstr(&b, "efgh") == 0, "append up to the maximum exactly");
    is_int(buf_len(&b), 8, "length is 8");
    ok(buf_addch(&b, 'x') < 0, "one byte past the maximum fails");
    is_int(buf_error(&b), E2BIG, "the error is E2BIG");
    is_str(buf_str(&b), "abcdefgh", "content kept after the failed append");
    ok(buf_addstr(&b, "") < 0, "errors are sticky");
    buf_reset(&b);
    ok(buf_error(&b) == 0 && buf_len(&b) == 0, "reset clears content and error");
    buf_free(&b);
}

static void test_printf(void)
{
    struct buf b = BUF_INIT(32);
    char *s;

    buf_printf(&b, "%s=%d", "n", 42);
    is_str(buf_str(&b), "n=42", "printf appends");
    ok(buf_printf(&b, "%040d", 1) < 0, "printf past the maximum fails");
    is_str(buf_str(&b), "n=42", "and leaves the content alone");
    buf_reset(&b);
    buf_add(&b, "a\0b", 3);
    is_int(buf_len(&b), 3, "binary content with NUL counts");
    s = buf_steal(&b);
    ok(s && memcmp(s, "a\0b", 4) == 0, "steal returns a terminated copy");
    is_int(buf_len(&b), 0, "steal empties the buffer");
    free(s);
    buf_free(&b);
    buf_free(NULL);
    ok(1, "buf_free(NULL) is harmless");
}

static void test_empty(void)
{
    struct buf b;
    char *s;

    buf_init(&b, 100);
    is_str(buf_str(&b), "", "an unused buffer reads as empty");
    s = buf_steal(&b);
    is_str(s, "", "stealing an unused buffer gives an empty string");
    free(s);
    buf_init(&b, 0);
    ok(buf_addch(&b, 'a') < 0, "a zero maximum refuses everything");
    buf_free(&b);
}

static void test_grow(void)
{
    struct buf b = BUF_INIT(100000);
    int i, fine = 1;

    for (i = 0; i < 100000; i++)
	fine &= buf_addch(&b, 'a' + i % 26) == 0;
    ok(fine && buf_len(&b) == 100000, "grows to 100000 one byte at a time");
    ok(buf_addch(&b, 'z') < 0, "then stops");
    buf_free(&b);
}

int main(void)
{
    test_limit();
    test_printf();
    test_empty();
    test_grow();
    return tap_done();
}
