#!/usr/bin/python3
"""ar_parse - parse one Authentication-Results field with Debian's authres.

Reads a whole field ("Authentication-Results: ...", folded or not, LF or
CRLF) on stdin and prints what authres makes of it, one item a line:

    id AUTHSERV-ID
    result METHOD RESULT
    reason TEXT
    prop PTYPE.PROPERTY VALUE

Quoted strings come back from authres with their quoted-pairs intact; they
are resolved here.  Exit status: 0 parsed, 1 authres rejected the field,
2 authres is not installed (the caller skips).  Used by lib/ar_test.c.
"""
import re
import sys

try:
    import authres
except ImportError:
    sys.exit(2)


def unquote(text):
    return re.sub(r'\\(.)', r'\1', text, flags=re.S)


def main():
    text = sys.stdin.buffer.read().decode('utf-8', 'surrogateescape')
    try:
        header = authres.AuthenticationResultsHeader.parse(text)
    except authres.AuthResError as err:
        print('error', err)
        return 1
    print('id', header.authserv_id)
    for res in header.results:
        print('result', res.method, res.result)
        if res.reason is not None:
            print('reason', unquote(res.reason))
        for prop in res.properties:
            print('prop %s.%s %s' % (prop.type, prop.name, unquote(prop.value)))
    return 0


sys.exit(main())
