// Copyright sessionstore authors.
//
// ProgressLine and ElapsedProgress on a real terminal (a pseudo-terminal in
// raw mode, read back from its master side) and on a file, which must get
// nothing.

#include "tools/progress_line.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace sessionstore {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A pseudo-terminal: `terminal` is the FILE* a command would draw on, and
// Drain() returns what reached the screen so far.
class PseudoTerminal {
 public:
  PseudoTerminal() {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    EXPECT_GE(master_, 0);
    EXPECT_EQ(grantpt(master_), 0);
    EXPECT_EQ(unlockpt(master_), 0);
    const int slave = open(ptsname(master_), O_RDWR | O_NOCTTY);
    EXPECT_GE(slave, 0);
    termios raw{};
    EXPECT_EQ(tcgetattr(slave, &raw), 0);
    cfmakeraw(&raw);  // No "\n" -> "\r\n": the bytes arrive as written.
    EXPECT_EQ(tcsetattr(slave, TCSANOW, &raw), 0);
    terminal = fdopen(slave, "w");
    EXPECT_NE(terminal, nullptr);
  }
  ~PseudoTerminal() {
    std::fclose(terminal);
    close(master_);
  }
  std::string Drain() {
    std::string out;
    char buf[4096];
    pollfd p{master_, POLLIN, 0};
    while (poll(&p, 1, 50) > 0 && (p.revents & POLLIN) != 0) {
      const ssize_t n = read(master_, buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  std::FILE* terminal = nullptr;

 private:
  int master_ = -1;
};

TEST(ProgressLineTest, DrawsAtMostOncePerIntervalAndErasesAtTheEnd) {
  PseudoTerminal pty;
  TimePoint now{};
  ProgressLine line(
      pty.terminal, /*quiet=*/false, [&] { return now; }, seconds(1));
  ASSERT_TRUE(line.enabled());
  // Nothing in the first second: a short command draws nothing.
  EXPECT_FALSE(line.Due());
  EXPECT_FALSE(line.Update("early"));
  now += milliseconds(999);
  EXPECT_FALSE(line.Update("early"));
  now += milliseconds(1);
  EXPECT_TRUE(line.Due());
  EXPECT_TRUE(line.Update("10 lines, 10 lines/s"));
  EXPECT_EQ(pty.Drain(), "\r10 lines, 10 lines/s");
  // Rate limited: a second update in the same second is dropped.
  now += milliseconds(500);
  EXPECT_FALSE(line.Update("15 lines"));
  EXPECT_EQ(pty.Drain(), "");
  now += milliseconds(500);
  // A shorter text is padded over the rest of the longer one.
  EXPECT_TRUE(line.Update("20 lines"));
  EXPECT_EQ(pty.Drain(), "\r20 lines" + std::string(12, ' '));
  EXPECT_DOUBLE_EQ(line.ElapsedSeconds(), 2.0);
  line.Finish();
  EXPECT_EQ(pty.Drain(), "\r" + std::string(8, ' ') + "\r");
  line.Finish();  // Idempotent: nothing more.
  EXPECT_EQ(pty.Drain(), "");
}

TEST(ProgressLineTest, QuietOrNotATerminalPrintsNothing) {
  TimePoint now{};
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressLine line(file, /*quiet=*/false, [&] { return now; });
    EXPECT_FALSE(line.enabled());
    now += seconds(5);
    EXPECT_FALSE(line.Due());
    EXPECT_FALSE(line.Update("x"));
  }
  {
    ElapsedProgress elapsed("verifying", /*quiet=*/false, file, milliseconds(1));
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(std::ftell(file), 0);
  std::fclose(file);

  PseudoTerminal pty;
  ProgressLine line(pty.terminal, /*quiet=*/true, [&] { return now; });
  EXPECT_FALSE(line.enabled());
  now += seconds(5);
  EXPECT_FALSE(line.Update("x"));
  EXPECT_EQ(pty.Drain(), "");
}

TEST(ProgressLineTest, ElapsedProgressRedrawsUntilDestroyedThenErases) {
  PseudoTerminal pty;
  {
    ElapsedProgress elapsed("compacting", /*quiet=*/false, pty.terminal, milliseconds(10));
    std::this_thread::sleep_for(milliseconds(100));
  }
  const std::string screen = pty.Drain();
  const std::string drawn = "\rcompacting: 0s";
  ASSERT_EQ(screen.rfind(drawn, 0), 0u) << screen;
  EXPECT_GE(screen.size(), 2 * drawn.size()) << "drawn once only: " << screen;
  // Ends erased, cursor at the start of the line.
  const std::string erase = "\r" + std::string(drawn.size() - 1, ' ') + "\r";
  ASSERT_GE(screen.size(), erase.size());
  EXPECT_EQ(screen.substr(screen.size() - erase.size()), erase);
  EXPECT_EQ(pty.Drain(), "");  // Nothing after the destructor.
}

TEST(ProgressLineTest, FormatsElapsedTime) {
  EXPECT_EQ(ProgressLine::FormatElapsed(0), "0s");
  EXPECT_EQ(ProgressLine::FormatElapsed(59.9), "59s");
  EXPECT_EQ(ProgressLine::FormatElapsed(184), "3m04s");
  EXPECT_EQ(ProgressLine::FormatElapsed(7500), "2h05m");
  EXPECT_EQ(ProgressLine::FormatElapsed(-3), "0s");
}

}  // namespace
}  // namespace sessionstore
