// Package config reads a garage-web node's configuration.
//
// # Basics
//
// [Load] reads, in this order:
//
//  1. the embedded default.toml, which holds every default;
//  2. the TOML file given with -c (setting names follow Garage's
//     garage.toml, so a Garage configuration works as it is);
//  3. GARAGE_* environment variables, one per setting: GARAGE_<KEY> for
//     top-level settings (GARAGE_DATA_DIR) and GARAGE_<SECTION>_<KEY> in
//     sections (GARAGE_S3_API_API_BIND_ADDR, GARAGE_ADMIN_ADMIN_TOKEN);
//  4. secret files (rpc_secret_file, admin.admin_token_file,
//     admin.metrics_token_file, or their GARAGE_..._FILE variables);
//
// then validates the result. Every error is one line that names the
// setting: `config: rpc_secret: must be 64 hex characters`.
//
// [Config.EnsureSecrets] is for the server: it reads, or on first start
// generates and stores, the rpc_secret and admin_token under metadata_dir.
// [Config.AdminToken] is for the CLI: it finds the token the server uses.
//
// # Caveats
//
//   - Unknown settings are an error. Settings that Garage has and
//     garage-web does not need (db_engine, metadata_fsync, [k2v_api], ...)
//     are accepted and listed in [Config.Warnings] instead, so that a
//     Garage configuration still loads.
//   - Relative directories are relative to the working directory of the
//     process, as in Garage.
//   - There is no global state: the environment is a parameter of [Load].
package config
