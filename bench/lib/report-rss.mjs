// Preloaded into the import CLI by the benchmark: reports the process's peak RSS at exit.
process.on("exit", () => process.stderr.write(`MAXRSS_KB ${process.resourceUsage().maxRSS}\n`));
