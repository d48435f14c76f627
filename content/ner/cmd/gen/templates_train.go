package main

// Training templates, by "lang/domain". Slots: {PER} {FIRST} {LAST}
// {TPER} (title + name) {LASTFIRST} {CITY} {REGION} {CITYREG} {ADDR}
// {FULLADDR} {FULLADDRNL} {ORG} {CO} {HOSP} {UNI}, and unlabelled
// fillers {DATE} {MONTH} {NUM} {AGE} {TIME} {PHONE} {MRN} {ID} {EMAIL}
// {COUNTRY} {NAT} {PRODUCT} {DISEASE} {DRUG} {CODE} {HEADING} {WEEKDAY}
// {CAPWORD}.
var trainTemplates = parseTemplates(`
## en/clinical
Patient {PER} is a {AGE}-year-old seen today for follow-up of {DISEASE}.
{TPER} was admitted to {HOSP} on {DATE} with chest pain.
Pt: {PER}, DOB {DATE}, MRN {MRN}.
The patient lives at {FULLADDR} with her husband {FIRST}.
Referred by {TPER} of {HOSP} for evaluation of {DISEASE}.
{HEADING}: {AGE} yo male with history of {DISEASE}, on {DRUG} 20 mg daily.
Seen with {TPER}, attending. Plan discussed with patient's daughter {FIRST}.
Mr. {LAST} reports no chest pain. He works as a mechanic in {CITY}.
Discharged home to {FULLADDR}. Follow up with {TPER} in 2 weeks.
Patient resides in {CITYREG} and was transferred from {HOSP}.
{PER} ({AGE} y/o F) presented to the ED at {TIME} complaining of headache.
Emergency contact: {PER}, {PHONE}, {ADDR}, {CITY}.
Attending physician: {TPER}. Resident: {PER}, MD.
Dictated by {PER}, MD on {DATE}. Transcribed by {FIRST} {LAST}.
The patient was born in {CITY} and moved to {REGION} in {MONTH}.
{HEADING}: {DISEASE}. Continue {DRUG}. Recheck labs in {MONTH}.
Started {DRUG} for {DISEASE}; no known drug allergies.
Son {FIRST} will pick her up; he lives on {ADDR}.
Case discussed with Dr. {LAST} from {ORG}.
Insurance: {ORG}. Member ID {ID}. Primary care: {TPER}.
## en/discharge
DISCHARGE SUMMARY\nPatient Name: {PER}\nAdmission Date: {DATE}\nAttending: {TPER}\nFacility: {HOSP}
Name: {LASTFIRST}\nAddress: {FULLADDR}\nPhone: {PHONE}
{PER} was discharged on {DATE} in stable condition to {FULLADDR}.
Home health services will be provided by {CO}.
She will follow up at {HOSP} with {TPER} next {WEEKDAY}.
## en/support
Agent: Could you confirm the name on the account?\nCustomer: sure, it's {PER}
hey its {FIRST} from the {DEPT} team, can you reset my {PRODUCT} login
thx {FIRST}, that fixed it
i spoke to {FIRST} yesterday and she said {CO} would refund me
my daughter {FIRST} ({AGE}) needs her own account
Hi, my name is {PER} and I can't log into my account.
Hello {FIRST}, thanks for reaching out! Could you confirm your shipping address?
Sure, it's {FULLADDR}.
Agent {FIRST}: I've updated your address to {ADDR}.
{CAPWORD}, the package was delivered to {ADDR} but I live in {CITY} now.
This is {FIRST} from {CO} support. Your ticket {ID} has been escalated.
Customer {PER} called about an invoice from {CO}.
{CAPWORD}. I moved from {CITY} to {CITYREG} last {MONTH}.
Can you send the replacement {PRODUCT} to my office at {FULLADDR}?
Thanks {FIRST}! Have a great day.
My {PRODUCT} stopped working after the update. — {FIRST}
I ordered it on {DATE} and it still hasn't arrived in {CITY}.
## en/hr
Dear {TPER},\nWe are pleased to offer you the position of Senior Analyst at {CO}.
Employee: {PER}\nManager: {PER}\nDepartment: Finance\nLocation: {CITY} office
{PER} joined {CO} in {MONTH} and reports to {PER}.
Your start date is {DATE}. Please report to our office at {FULLADDR}.
Reference check for {PER}: worked with {FIRST} at {ORG} for three years.
Sincerely,\n{PER}\nHead of People, {CO}
This letter confirms that {PER} has been employed by {CO} since {DATE}.
{FIRST} will relocate from {CITY} to our {CITY} branch.
## en/legal
RE: {PER} v. {CO}, Case No. {ID}
Dear {TPER}:\nThis firm represents {PER} in connection with the property at {FULLADDR}.
The lease between {CO} ("Landlord") and {PER} ("Tenant") for premises at {ADDR}, {CITYREG}.
Signed in {CITY}, {REGION} on {DATE}.
{PER}, Esq.\n{CO}\n{FULLADDRNL}
The plaintiff, {PER}, a resident of {CITY}, alleges that {ORG} breached the agreement.
Witness: {PER}. Notary: {PER}, commission expires {DATE}.
## en/email
From: {PER} <{EMAIL}>\nTo: {PER}\nSubject: Meeting next {WEEKDAY}
Hi {FIRST},\nCan we move our call to {TIME}? I'll be in {CITY} until {WEEKDAY}.
Best regards,\n{PER}\n{CO}\n{FULLADDRNL}
Thanks {FIRST} — I've looped in {PER} from {ORG}.
{FIRST}, please review the contract from {CO} before {MONTH} 15.
Cheers,\n{FIRST}
Hi team, {PER} will be joining us from {ORG} on {DATE}.
Forwarding {FIRST}'s note below. She's based in {CITYREG}.
## en/logs
{DATE} {TIME} INFO user={FIRST} action=login ip=10.0.0.{NUM}
{DATE} {TIME} WARN {CODE} failed for customer "{PER}" (id {ID})
ERROR: address lookup failed for "{ADDR}": timeout
[{TIME}] shipment {ID} dispatched to {CITY}, {REGION}
DEBUG {CODE} name="{PER}" city="{CITY}"
{CODE} threw exception at line {NUM}
## en/forms
PATIENT NAME: {UPER}\nDOB: {DATE}\nMRN: {MRN}
NAME: {ULASTFIRST}   SEX: F   AGE: {AGE}
APPLICANT: {UPER}\nADDRESS: {UADDR}\nCITY: {UCITY}
EMPLOYER: {UORG}   CONTACT: {UPER}
Name on card: {UPER}  Exp: 09/27
id,first,last,city\n{NUM},{FIRST},{LAST},{CITY}\n{NUM},{FIRST},{LAST},{CITY}
"firstName": "{FIRST}", "lastName": "{LAST}", "city": "{CITY}", "id": {NUM},
[ "name": "{PER}", "employer": "{CO}", "address": "{ADDR}" ]
Surname: {LAST}   Given name(s): {FIRST}   Place of birth: {CITY}
| Patient | City | Provider |\n|---|---|---|\n| {PER} | {CITY} | {HOSP} |\n| {PER} | {CITY} | {HOSP} |
Customer,Company,City,State\n{PER},{CO},{CITY},{REGION}
NAME\tORGANIZATION\tCITY\n{PER}\t{ORG}\t{CITY}
Location: {CITY} | Company: {CO} | Contact: {PER}
City / State / ZIP: {CITYREG} {NUM}
First Name: {FIRST}\nLast Name: {LAST}\nStreet: {ADDR}\nCity: {CITY}\nState: {REGION}\nZIP: {NUM}
Full name: {PER} | DOB: {DATE} | Address: {FULLADDR}
Employer: {CO}\nEmployer address: {FULLADDR}
Applicant: {PER}; Co-applicant: {PER}
Name | City | Company\n{PER} | {CITY} | {CO}\n{PER} | {CITY} | {CO}
Bill to: {PER}, {FULLADDR}
Ship to:\n{PER}\n{FULLADDRNL}
## en/meeting
Attendees: {PER}, {PER}, {PER} ({ORG})
Action items: {FIRST} to send the {PRODUCT} report; {FIRST} to call {ORG}.
{HEADING}\n{FIRST} presented Q3 results for the {CITY} region.
Next meeting on {WEEKDAY} at the {CITY} office.
Notes taken by {PER}. Decision: move the launch to {MONTH}.
## en/news
{PER}, chief executive of {CO}, said on {WEEKDAY} that the company would open a plant in {CITYREG}.
Police in {CITY} are looking for {PER}, who was last seen on {ADDR}.
{ORG} announced a partnership with {ORG} worth $ {NUM} million.
The mayor of {CITY}, {PER}, visited {COUNTRY} in {MONTH}.
A spokesperson for {ORG} declined to comment.
{NAT} officials met with {PER} in {CITY} to discuss trade with {COUNTRY}.
Born in {CITY}, {PER} studied at {UNI} before joining {ORG}.
## en/mix
(generated by mixSentence)
## en/negative
Click {UIWORD}, then {UIWORD} and {UIWORD}.
Go to {UIWORD} > {UIWORD} > {UIWORD} and press {UIWORD}.
See {UIWORD} {NUM} on page {NUM} for the {UIWORD}.
{UIWORD} {NUM} of {NUM}
The {UIWORD} and {UIWORD} {UIWORD} ship with {PRODUCT} in {MONTH}.
{UIWORD}: {UIWORD} | {UIWORD}: {NUM}
Open the {UIWORD} {UIWORD} and fill in {UIWORD} {NUM}.
Please complete {UIWORD} {NUM} and return it to the {DEPT} desk.
CHIEF COMPLAINT: {SYMPTOM}
{HEADING}: {SYMPTOM}. {CAPWORD}.
Vitals: BP 120/80, HR {NUM}, Temp 98.6. {SYMPTOM} improving.
The {JOB} from {DEPT} will present at {TIME} in Room {NUM}.
Meeting moved to {WEEKDAY} at {NUM}. Please bring the {PRODUCT} slides.
Call 555-{NUM} or dial extension {NUM} after 5pm.
From 2019 to 2022 revenue grew {NUM} percent.
Our {DEPT} team uses {PRODUCT}, {PRODUCT} and {PRODUCT} every day.
{CAPWORD}! Your {PRODUCT} subscription renews on {DATE}.
{NAT} and {NAT} regulators approved {DRUG} in {MONTH}.
Step {NUM}: Open {PRODUCT} and click Settings > Privacy > Advanced.
ERROR {CODE} returned 500 Internal Server Error after {NUM} ms
Table {NUM}: Results by Region and Quarter
| Name | Address | City | State | Organization |
{CAPWORD}, the {PRODUCT} update is scheduled for {MONTH}.
{HEADING}
The {NAT} team released version {NUM} of {PRODUCT}.
{MONTH} was a good month for sales in {COUNTRY}.
May I ask when {PRODUCT} will support this?
{CAPWORD} see attached. Call {CODE} before deploying.
Ship the {PRODUCT} order by {DATE}. Total: {NUM} units.
Diagnosis: {DISEASE}. Medication: {DRUG}.
Please restart the {PRODUCT} server and check the {CODE} logs.
THE QUICK REVIEW OF {PRODUCT} IS DUE IN {MONTH}.
## de/negative
Der {DENOUN} ist seit {WEEKDAY} kaputt, die {DENOUN} auch.
Bitte prüfen Sie den {DENOUN} und die {DENOUN} bis {DATE}.
Im {DENOUN} gibt es {NUM} neue {DENOUN}.
{DENOUN}: {DENOUN}, {DENOUN} und {DENOUN}.
Nach der {DENOUN} klagt die Patientin über {DENOUN} und {DENOUN}.
Wenn ich auf {DENOUN} klicke, erscheint eine {DENOUN}.
Die {DENOUN} für den {DENOUN} kommt am {WEEKDAY}.
Wir haben Ihre {DENOUN} erhalten; die {DENOUN} folgt per {DENOUN}.
Der Patient ist {AGE} Jahre alt. Morgen kommt die Tochter zu Besuch.
Vielen Dank für Ihre Bestellung. Die Lieferung erfolgt in {NUM} Tagen.
Im Vertrag zwischen den Parteien steht nichts über Preise in {COUNTRY}.
Guten Tag, vielen Dank für Ihre Nachricht vom {DATE}.
Sehr geehrte Damen und Herren, die Rechnung ist am {WEEKDAY} fällig.
Ihr Termin wurde auf {MONTH} verschoben. Bitte beachten Sie die Frist.
Die Besprechung findet im Raum {NUM} statt. Tagesordnung: Budget, Personal, Sonstiges.
Diagnose: {DISEASE}. Therapie: {DRUG} 10 mg morgens.
Der Bericht liegt der Geschäftsführung seit {MONTH} vor.
Wir bitten um Rückmeldung bis {DATE}. Mit freundlichen Grüßen, Ihr Kundenservice
## de/mix
Die Patientin {PER}, {AGE} Jahre, wurde von ihrer Tochter {FIRST} begleitet.
Der Vertrag zwischen der {CO} und Herrn {LAST} läuft im {MONTH} aus.
Die {ORG} verbindet {CITY} und {CITY} ab {MONTH}.
Guten Tag {TPER}, Ihr Termin bei {TPER} ist am {DATE}.
Hallo {FIRST}, kannst du die Unterlagen an {PER} schicken?
Die Sitzung mit {ORG} in {CITY} wurde auf {WEEKDAY} verlegt.
Laut {PER} zieht die Firma nach {CITY}.
Bitte die Ware an {ADDR} in {CITY} liefern.
Ihr Ansprechpartner ist {PER} von der {CO}.
{PER} hat bei {ORG} gekündigt und wohnt jetzt in {REGION}.
Rückfragen bitte an Frau {LAST}, Telefon {PHONE}.
Patient {PER}, geb. {DATE}, wohnhaft in {FULLADDR}.
{TPER} wurde am {DATE} im {HOSP} aufgenommen.
Die Patientin {PER} lebt mit ihrem Ehemann in {CITY}.
Überweisung durch {TPER}, {HOSP}.
Entlassung nach Hause, {FULLADDR}. Kontrolle bei {TPER}.
## de/letter
Sehr geehrte {TPER},\nvielen Dank für Ihre Bewerbung bei der {CO}.
Mit freundlichen Grüßen\n{PER}\n{CO}\n{FULLADDRNL}
{PER} ist seit {DATE} bei der {CO} in {CITY} beschäftigt.
Herr {LAST} wohnt in der {ADDR} in {CITY}.
Sehr geehrter Herr {LAST},\nanbei die Rechnung der {CO}.
## de/support
Hallo, ich bin {PER} und meine Lieferung nach {CITY} ist nicht angekommen.
Danke {FIRST}! Bitte senden Sie das Paket an {FULLADDR}.
Frau {LAST} aus {CITY} hat angerufen wegen {PRODUCT}.
## de/news
{PER}, Vorstandschef der {CO}, kündigte in {CITY} neue Stellen an.
Die Polizei in {CITY} sucht nach {PER}, zuletzt gesehen in der {ADDR}.
Im {MONTH} eröffnet {ORG} einen Standort in {REGION}.
## fr/negative
Bonjour, merci pour votre message du {DATE}. La facture est disponible en ligne.
Objet : Compte rendu de la réunion du {WEEKDAY}. Ordre du jour : Budget, Divers.
Diagnostic : {DISEASE}. Traitement : {DRUG}. Prochain contrôle en {MONTH}.
Veuillez trouver ci-joint le Rapport Annuel et les Conditions Générales.
## fr/mix
Bonjour {TPER}, votre rendez-vous avec le {TPER} est prévu le {DATE}.
Selon {PER}, {ORG} s'installe à {CITY}.
Merci d'envoyer le colis au {ADDR}, {CITY}.
Votre interlocuteur est {PER} de {CO}.
{PER} a quitté {ORG} et vit maintenant à {CITY}.
Patient : {PER}, né le {DATE}, domicilié au {FULLADDR}.
{TPER} a été hospitalisé au {HOSP} le {DATE}.
Mme {LAST} vit seule à {CITY}. Suivi par le {TPER}.
Adressé par {TPER} pour bilan de {DISEASE}.
## fr/letter
Madame, Monsieur,\nJe soussigné {PER}, demeurant au {FULLADDR}, certifie que...
Cordialement,\n{PER}\n{CO}\n{FULLADDRNL}
{PER} travaille chez {CO} à {CITY} depuis {MONTH}.
Bonjour {FIRST}, merci pour votre message concernant {PRODUCT}.
## fr/news
{PER}, directeur général de {CO}, a annoncé l'ouverture d'un site à {CITY}.
La mairie de {CITY} a reçu {PER} le {DATE}.
Selon {ORG}, la région {REGION} est la plus touchée.
## es/negative
Tiene {AGE} años y vive sola. El Paciente refiere Dolor abdominal.
Buenos días, gracias por su mensaje del {DATE}. La factura está disponible.
Asunto: Acta de la Reunión del {WEEKDAY}. Orden del día: Presupuesto, Varios.
Diagnóstico: {DISEASE}. Tratamiento: {DRUG}. Próximo control en {MONTH}.
Adjuntamos el Informe Anual y las Condiciones Generales.
## es/mix
{PER} y su esposa {FIRST} viven en {CITY} desde {MONTH}.
{FIRST} y yo trabajamos en {ORG}.
El {ORG} abrió una sucursal en {CITY}.
Hola {FIRST}, ¿puedes enviar los documentos a {PER}?
Según {PER}, {ORG} abrirá una oficina en {CITY}.
Por favor envíe el paquete a {ADDR}, {CITY}.
Su contacto es {PER}, de {CO}.
{PER} dejó {ORG} y ahora vive en {REGION}.
Paciente: {PER}, fecha de nacimiento {DATE}, domicilio en {FULLADDR}.
{TPER} ingresó en el {HOSP} el {DATE}.
La paciente {PER} vive en {CITY} con su hija {FIRST}.
Remitido por {TPER} para valoración de {DISEASE}.
## es/letter
Estimado {TPER}:\nLe escribimos de parte de {CO} en relación con su solicitud.
Atentamente,\n{PER}\n{CO}\n{FULLADDRNL}
{PER} trabaja en {CO} en {CITY} desde {MONTH}.
Hola {FIRST}, gracias por contactar con {CO}.
## es/news
{PER}, presidente de {CO}, anunció en {CITY} una inversión en {REGION}.
La policía de {CITY} busca a {PER}, visto por última vez en {ADDR}.
El alcalde de {CITY}, {PER}, viajó a {COUNTRY} en {MONTH}.
`)
