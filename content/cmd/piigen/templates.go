package main

// templates, by language: a domain and a text whose {slots} are filled
// by the generators of slot (main.go). Labelled slots are entity names;
// neg_* slots are hard negatives (numbers that are not personal data).
type template struct{ domain, text string }

var templates = map[string][]template{
	"en": {
		{"clinical", "Patient {person}, DOB {date}, MRN: {medical_record_number}. A {age}-year-old seen at {organization} on {date} for chest pain. Metformin 500 mg twice daily since {neg_year}."},
		{"clinical", "Discharge summary for {person} (aged {age}), admitted {date}. Address: {street_address}, {location}, {state} {postal_code}. Phone {phone}. Member ID: {health_plan_id}."},
		{"clinical", "Referral: Dr. {person}, NPI {npi}, DEA {dea_number}. Pt {person} DOB {date}, NHS number {uk_nhs_number}. BP 120/80, dose 2.5 mg, room {neg_small}."},
		{"clinical", "Progress note {neg_date_version}: {person} reports pain 7/10. Medical record number {medical_record_number}; insurance id {health_plan_id}; contact {email}."},
		{"support", "Customer: hi, my order {neg_order} never arrived. My card {credit_card} was charged twice. You can call me at {phone} or mail {email}."},
		{"support", "Agent: I found your account number {account_number}. Can you confirm the IBAN {iban} and your date of birth? Customer: it's {date}."},
		{"support", "Ticket {neg_ticket}: user {email} cannot log in from {ip_address} since version {neg_version}. Device IMEI {imei}, MAC {mac_address}."},
		{"hr", "Dear {person},\nWe are pleased to offer you the position at {organization}, starting {date}. Please send your SSN {us_ssn} and passport number {passport} to HR ({email}).\nRegards, {person}"},
		{"legal", "This agreement is made on {date} between {organization} and {person}, residing at {street_address}, {location}, {state} {postal_code}. Driver's license: {us_driver_license}."},
		{"email", "From: {email}\nTo: {email}\nSubject: invoice {neg_invoice}\n\nHi {person}, the payment of $1,250.00 to account {iban} is due. Call me on {phone}. See {url} for details."},
		{"log", "{neg_timestamp} INFO login ok user={email} ip={ip_address} session={neg_hex} latency=23ms build {neg_version}"},
		{"log", "{neg_timestamp} WARN device {mac_address} from {ip_address} failed auth; retry 3/5 on host {domain}"},
		{"form", "Name: {person}\nDate of birth: {date}\nAge: {age}\nAddress: {street_address}, {location} {postal_code}\nPhone: {phone}\nEmail: {email}\nVehicle VIN: {vin}\nLicense plate: {license_plate}"},
		{"code", "config.yaml sets retries: 3; main.py calls os.path.join(base, \"data\"); see README.md and version {neg_version}. Contact {email} or visit {url}."},
		{"chat", "my new number is {phone}, and I moved to {street_address} in {location}. visit our site {domain}!"},
		{"form", "Name: {person}\nAddress: {street_address}, {location} {uk_postcode}\nNHS number: {uk_nhs_number}\nTel: {phone}"},
		{"negative", "The meeting on room {neg_small} moved; order {neg_order} ships in 3-5 days; price 1.234,56 EUR; version {neg_version}; May we start at 10:30?"},
		{"negative", "Q3 revenue grew 12.5% to 4,512,300 USD in {neg_year}; ISBN 978-3-16-148410-0; page 47 of 300; tracking {neg_order}."},
	},
	"de": {
		{"clinical", "Patient {person}, geb. {date}, {age} Jahre alt, wohnhaft {street_address}, {postal_code} {location}. Telefon {phone}. Versichertennummer {health_plan_id}."},
		{"clinical", "Arztbrief vom {date}: {person} wurde im {organization} behandelt. Patientennummer {medical_record_number}, Dosis 2,5 mg."},
		{"hr", "Sehr geehrte Frau {person},\nbitte senden Sie uns Ihre Steuer-ID {de_tax_id} und Ihre IBAN {iban} bis zum {date}.\nMit freundlichen Grüßen, {organization}"},
		{"support", "Kunde: Meine Bestellung {neg_order} ist nicht angekommen. Rufen Sie mich unter {phone} an oder schreiben Sie an {email}."},
		{"form", "Name: {person}\nGeburtsdatum: {date}\nAnschrift: {street_address}, {postal_code} {location}\nKennzeichen: {license_plate}\nE-Mail: {email}"},
		{"negative", "Der Vertrag läuft bis zum Jahr {neg_year}; Rechnung {neg_invoice} über 1.234,56 EUR; Version {neg_version}."},
	},
	"fr": {
		{"clinical", "Patient {person}, né le {date}, {age} ans, domicilié {street_address}, {postal_code} {location}. Tél. {phone}. NIR {fr_nir}."},
		{"hr", "Madame {person},\nnous vous confirmons votre embauche chez {organization} à compter du {date}. Merci d'envoyer votre IBAN {iban} à {email}."},
		{"support", "Client : ma commande {neg_order} n'est pas arrivée. Vous pouvez me joindre au {phone}."},
		{"form", "Nom : {person}\nDate de naissance : {date}\nAdresse : {street_address}, {postal_code} {location}\nCourriel : {email}\nPasseport : {passport}"},
		{"negative", "La réunion du comité est reportée; facture {neg_invoice} de 1 234,56 EUR; version {neg_version}."},
	},
	"es": {
		{"clinical", "Paciente {person}, nacido el {date}, {age} años, con domicilio en {street_address}, {postal_code} {location}. Teléfono {phone}. DNI {es_dni}."},
		{"hr", "Estimada {person}:\nle confirmamos su incorporación a {organization} el {date}. Envíe su número de cuenta {iban} a {email}."},
		{"support", "Cliente: mi pedido {neg_order} no ha llegado. Llámeme al {phone} o escríbame a {email}."},
		{"form", "Nombre: {person}\nFecha de nacimiento: {date}\nDirección: {street_address}, {postal_code} {location}\nPasaporte: {passport}"},
		{"negative", "El informe del año {neg_year} muestra 4.512.300 EUR; pedido {neg_order}; versión {neg_version}."},
	},
}

// extraIDs are sentences for the national and device identifiers, in
// every language.
var extraIDs = []template{
	{"form", "Codice fiscale: {it_fiscal_code}; BSN {nl_bsn}; PESEL {pl_pesel}."},
	{"form", "IdNr {de_tax_id}, NIR {fr_nir}, DNI {es_dni}."},
	{"log", "{neg_timestamp} device imei={imei} mac={mac_address} vin={vin}"},
}
