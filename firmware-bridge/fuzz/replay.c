/* replay.c - runs fuzz inputs through a target without libFuzzer, so the regression inputs (fuzz/regress/)
 * and the seed corpus (fuzz/corpus/) replay with any host compiler (the Makefile's fuzz-replay, under ASan
 * and UBSan when the compiler has them; tests/firmware-fuzz.test.ts runs it in npm test).
 *   replay_<target> FILE...   each file in a process of its own; exit 0 when every input ran clean
 * A crash shows as the child's abort() or sanitizer report, with the file's name. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_one(const char *path) {
  static uint8_t data[1 << 20];
  size_t n;
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 2;
  }
  n = fread(data, 1, sizeof data, f);
  fclose(f);
  LLVMFuzzerTestOneInput(data, n);
  return 0;
}

int main(int argc, char **argv) {
  int i, failed = 0;
  for (i = 1; i < argc; i++) {
    int status = 0;
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 2;
    }
    if (pid == 0) _exit(run_one(argv[i]));
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "replay: FAILED on %s (%s %d)\n", argv[i], WIFSIGNALED(status) ? "signal" : "exit",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      failed++;
    }
  }
  printf("replay: %d inputs, %d failed\n", argc - 1, failed);
  return failed ? 1 : 0;
}
