// The thread's extension points. A feature is a module of its own in this folder that pushes
// functions here and is imported by index.js; the core calls them and knows nothing else of
// it. T is the thread's context (thread.js): its API, strings, DOM parts and helpers.
export const head = [] // (c, r, T) => Node | null: appended to a comment's header (badge, origin)
export const foot = [] // (c, r, T) => Node | null: appended to a comment's footer
export const send = [] // async (body, T) => void: before a comment is posted; may add fields
export const read = [] // (j, T) => void: a page of comments was read, before it is drawn
export const mount = [] // (T) => void: the thread is built, before its first page is drawn
