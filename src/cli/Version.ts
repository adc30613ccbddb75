// The version `mdeploy version` and `mdeploy --version` print; kept in step with package.json
// (a test compares them) so start-up does not read and parse package.json.
export const version = "0.1.0"
