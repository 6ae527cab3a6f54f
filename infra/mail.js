// Resolves the SES region for infra/worker.yml from the `mail` parameter: "eu-west-1" for
// `ses://eu-west-1`, "" for SMTP or no mail (then the worker role gets no SES statement).
"use strict";

module.exports = async ({ resolveVariable }) => {
  const mail = String(await resolveVariable("param:mail"));
  const match = /^ses:\/\/([a-z]{2}(-[a-z]+)+-\d)\/?$/.exec(mail);
  if (mail.startsWith("ses:") && !match) {
    throw new Error(`mail: ${JSON.stringify(mail)} is not ses://REGION (e.g. ses://eu-west-1)`);
  }
  return match ? match[1] : "";
};
