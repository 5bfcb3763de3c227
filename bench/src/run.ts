// The benchmark runner arrives with issue 8.
console.error('gflow bench: not yet implemented (issue 8)');
process.exit(1);
