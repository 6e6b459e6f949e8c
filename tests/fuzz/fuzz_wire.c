/* fuzz_wire - libFuzzer target for what postdmarc-filterd's server reads
 * from a connection: wire_head() on the first bytes, wire_args() on the
 * rest, cmdline_parse() on the arguments; a request rebuilt from them by
 * wire_request() reads back the same.  abort()s when an invariant breaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "limits.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define check(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *payload, **argv, **back, *again, err[256];
    size_t len, argc, argc2, i, nul = 0;
    struct cmdline cl;
    long n;

    if (size >= WIRE_HEAD && wire_head((const char *) data, &len) == 0)
	check(len <= FILTERD_REQUEST_MAX);
    if (size > 1 << 16 || (payload = malloc(size + 1)) == NULL)
	return 0;
    memcpy(payload, data, size);
    for (i = 0; i < size; i++)
	nul += data[i] == 0;
    argv = calloc(nul + 1, sizeof(*argv));
    back = calloc(nul + 1, sizeof(*back));
    again = malloc(size + WIRE_HEAD);
    check(argv && back && again);
    if (wire_args(payload, size, argv, nul, &argc) == 0) {
	check(argc == nul && argv[argc] == NULL && size > 0 && data[size - 1] == 0);
	n = wire_request((int) argc, argv, again, size + WIRE_HEAD);
	check(n == (long) (size + WIRE_HEAD));
	check(wire_head(again, &len) == 0 && len == size);
	check(memcmp(again + WIRE_HEAD, data, size) == 0);
	check(wire_args(again + WIRE_HEAD, size, back, nul, &argc2) == 0 && argc2 == argc);
	if (cmdline_parse((int) argc, argv, &cl, err, sizeof(err)) == 0) {
	    check(cl.conf_path != NULL && cl.args.nrcpt <= argc);
	    check(cl.args.rcpt + cl.args.nrcpt == argv + argc);
	} else {
	    check(memchr(err, 0, sizeof(err)) != NULL && err[0] != 0);
	}
    } else {
	check(size == 0 || data[size - 1] != 0);
    }
    free(payload);
    free(argv);
    free(back);
    free(again);
    return 0;
}
