/* rr-enter ROOT CWD BIND... -- COMMAND...
 * Enters Roadrunner's Debian 13 build root: a private mount namespace, each BIND path
 * bind-mounted at the same path inside ROOT (plus /proc, /dev, /sys), chroot, chdir CWD, exec.
 * The shell version in env.sh does the same with several processes; this one costs ~1 ms, which
 * keeps `bin/roadrunner run` fast. Built by env.sh with the host's C compiler when it has one. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char* what, const char* path) {
  fprintf(stderr, "roadrunner: entering the build root: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static void bind(const char* root, const char* path) {
  char target[4096];
  if (snprintf(target, sizeof target, "%s%s", root, path) >= (int)sizeof target) {
    errno = ENAMETOOLONG;
    die("bind", path);
  }
  /* mkdir -p target */
  for (char* p = target + strlen(root) + 1; *p; ++p) {
    if (*p == '/') {
      *p = '\0';
      mkdir(target, 0755);
      *p = '/';
    }
  }
  mkdir(target, 0755);
  if (mount(path, target, NULL, MS_BIND | MS_REC, NULL) != 0) {
    die("bind", path);
  }
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: rr-enter ROOT CWD BIND... -- COMMAND...\n");
    return 2;
  }
  const char* root = argv[1];
  const char* cwd = argv[2];
  if (unshare(CLONE_NEWNS) != 0) {
    die("unshare", "");
  }
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    die("make private", "/");
  }
  /* The root becomes a mount point of its own, so tools that remount "/" (ip netns exec) work. */
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0) {
    die("bind", root);
  }
  int i = 3;
  for (; i < argc && strcmp(argv[i], "--") != 0; ++i) {
    bind(root, argv[i]);
  }
  if (i + 1 >= argc) {
    fprintf(stderr, "rr-enter: no command\n");
    return 2;
  }
  if (chroot(root) != 0) {
    die("chroot", root);
  }
  if (chdir(cwd) != 0) {
    die("chdir", cwd);
  }
  setenv("RR_IN_ROOT", "1", 1);
  setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
  execvp(argv[i + 1], argv + i + 1);
  die("exec", argv[i + 1]);
  return 1;
}
