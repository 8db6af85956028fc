HEADERS = ("net/if.h",)

TYPES = """
struct if_nameindex { unsigned int if_index; char *if_name; ...; };
#define IF_NAMESIZE ...
"""

FUNCTIONS = """
struct if_nameindex *if_nameindex(void);
void if_freenameindex(struct if_nameindex *);
unsigned int if_nametoindex(const char *);
char *if_indextoname(unsigned int, char *);
"""

CUSTOMIZATIONS = ""
