// Who writes to the ngrok account locally: `npm start`'s Worker and the CLI are two installations with two OWNER_IDs, so neither ever touches the other's credentials.

/** The CLI's default OWNER_ID (`npm run plan|apply`). */
export const CLI_OWNER_ID = "ngrok-gitops-cli";

/** The OWNER_ID `npm start` gives its Worker; the CLI sees its credentials as another installation's. */
export const START_OWNER_ID = "ngrok-gitops-start";
