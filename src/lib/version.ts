/** The API's own version (semver), separate from the dataset version and the `/v1` path. */
export const API_VERSION = '1.0.0';
