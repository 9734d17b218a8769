// Every test process: node:sqlite's ExperimentalWarning is noise in the output, other warnings are not.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});
