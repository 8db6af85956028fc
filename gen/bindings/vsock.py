HEADERS = ("linux/vm_sockets.h",)

TYPES = """
struct sockaddr_vm {
    sa_family_t svm_family;
    unsigned int svm_port;
    unsigned int svm_cid;
    ...;
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
