/** Groundwork from Node scripts: the services' `api`, no HTTP. */
export { createScriptServices, type ScriptServices } from './services'
export { createUserWithKey, notifyUser, sendWelcomeMail } from './tasks'
