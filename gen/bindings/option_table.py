"""gen/option_types.py compiled in, so the installed package (which does not
ship gen/) can read which C type each option and control message carries.

sockcffi_option_types() returns ``kind|level|name|ctype`` lines; the
Python side drops the entries whose constants or structs this build lacks.
"""
from .. import option_types

HEADERS = ()
TYPES = ""

FUNCTIONS = """
const char *sockcffi_option_types(void);
"""


def _c_string_lines():
    return "\n".join('        "%s\\n"' % line
                     for line in option_types.lines())


CUSTOMIZATIONS = """
static const char *sockcffi_option_types(void)
{
    return
%s
        "";
}
""" % _c_string_lines()
