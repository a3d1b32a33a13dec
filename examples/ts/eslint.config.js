// The repository's rules, generated skeletons included.
export { default } from '../../eslint.config.js';
