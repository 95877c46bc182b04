// A WASI command that shows what it was given: argv, one environment variable, one file through
// a preopened directory. Usage: wasi_probe EXIT_CODE [ENV_NAME] [FILE]
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    printf("argv[%d]=%s\n", i, argv[i]);
  }
  if (argc > 2) {
    const char* value = getenv(argv[2]);
    printf("env %s=%s\n", argv[2], value ? value : "(unset)");
  }
  if (argc > 3) {
    FILE* f = fopen(argv[3], "r");
    if (!f) {
      perror(argv[3]);
      return 99;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
      printf("file: %s", line);
    }
    fclose(f);
  }
  fprintf(stderr, "probe done\n");
  return argc > 1 ? atoi(argv[1]) : 0;
}
