// The machine's own floor, below Node's: the same echo as echo-server.mjs, written in C with one
// blocking socket and no event loop. What is left of the latency is the kernel's loopback path,
// the scheduler and dnsperf (see bench/README.md, "The ceiling", and bench/notes/2026-12-05-the-ceiling.md).
// Usage: gcc -O2 -o /tmp/echo-server bench/echo-server.c && taskset -c 0 /tmp/echo-server PORT
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 5300;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);
  if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    perror("echo-server");
    return 1;
  }
  printf("echoing on 127.0.0.1:%d\n", port);
  fflush(stdout);
  unsigned char message[4096];
  for (;;) {
    struct sockaddr_in remote;
    socklen_t length = sizeof remote;
    ssize_t size = recvfrom(fd, message, sizeof message, 0, (struct sockaddr *)&remote, &length);
    if (size < 12) continue; // shorter than a DNS header
    message[2] |= 0x80;      // QR: a response
    sendto(fd, message, size, 0, (struct sockaddr *)&remote, length);
  }
}
