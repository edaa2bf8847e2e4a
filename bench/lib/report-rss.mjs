// Preloaded into the import CLI by the benchmark: reports the process's peak RSS and its CPU time at exit.
process.on("exit", () => {
  const usage = process.resourceUsage();
  process.stderr.write(`MAXRSS_KB ${usage.maxRSS}\nCPU_MS ${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)}\n`);
});
