HEADERS = ("netdb.h",)

TYPES = """
struct addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    socklen_t ai_addrlen;
    struct sockaddr *ai_addr;
    char *ai_canonname;
    struct addrinfo *ai_next;
    ...;
};
struct hostent {
    char *h_name;
    char **h_aliases;
    int h_addrtype;
    int h_length;
    char **h_addr_list;
    ...;
};
struct protoent { char *p_name; char **p_aliases; int p_proto; ...; };
struct servent {
    char *s_name; char **s_aliases; int s_port; char *s_proto; ...;
};
"""

FUNCTIONS = """
int getaddrinfo(const char *, const char *, const struct addrinfo *,
                struct addrinfo **);
void freeaddrinfo(struct addrinfo *);
const char *gai_strerror(int);
int getnameinfo(const struct sockaddr *, socklen_t, char *, socklen_t,
                char *, socklen_t, int);
int gethostbyname_r(const char *, struct hostent *, char *, size_t,
                    struct hostent **, int *);
int gethostbyaddr_r(const void *, socklen_t, int, struct hostent *, char *,
                    size_t, struct hostent **, int *);
int getprotobyname_r(const char *, struct protoent *, char *, size_t,
                     struct protoent **);
int getservbyname_r(const char *, const char *, struct servent *, char *,
                    size_t, struct servent **);
int getservbyport_r(int, const char *, struct servent *, char *, size_t,
                    struct servent **);
const char *hstrerror(int);
"""

CUSTOMIZATIONS = ""
