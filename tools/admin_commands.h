// Copyright sessionstore authors.
//
// The store-administration commands of `sessionstore`: compact, stats,
// verify, delete, backup and restore (docs in README.md, "Operations").
//
// Thread safety: single-threaded, as the CLI.

#ifndef SESSIONSTORE_TOOLS_ADMIN_COMMANDS_H_
#define SESSIONSTORE_TOOLS_ADMIN_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <string>

namespace sessionstore::cli {

// The parsed arguments of every admin command and which one was chosen.
struct AdminCommands {
  CLI::App* compact = nullptr;
  CLI::App* stats = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* del = nullptr;
  CLI::App* backup = nullptr;
  CLI::App* restore = nullptr;
  bool json = false;                    // stats --json
  bool exact = false;                   // stats --exact
  std::string session, user, before;    // delete
  std::string backup_dir, restore_dir;  // backup DEST, restore BACKUP DIR

  // True when one of these commands was given.
  bool Chosen() const { return *compact || *stats || *verify || *del || *backup || *restore; }
};

// Registers the commands on `app`, binding their arguments to the fields
// of *commands, which must outlive the parse.
void AddAdminCommands(CLI::App* app, AdminCommands* commands);

// Runs the chosen command on the store in `db`; returns the exit code.
int RunAdminCommand(const std::string& db, const AdminCommands& commands);

}  // namespace sessionstore::cli

#endif  // SESSIONSTORE_TOOLS_ADMIN_COMMANDS_H_
