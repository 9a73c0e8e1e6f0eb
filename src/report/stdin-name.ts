/** Where the CLI keeps a results file read from stdin ('-'), so a report can name that run "stdin". */
export const STDIN_DIR_PREFIX = 'vdpa-lab-stdin-';
