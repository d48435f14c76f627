package main

import (
	"hash/fnv"
	"log"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/content/ner/internal/source"
)

// pools holds the values the templates draw from, per language.
type pools struct {
	first, last, city, region, regionCode, street map[string][]string
}

// keep splits every list 4:1 between the training and the test values.
func keep(v string, test bool) bool {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(v)))
	return (h.Sum32()%5 == 0) == test
}

// readCSV reads a source file, or stops the command.
func readCSV(path string) [][]string {
	rows, err := source.ReadCSV(path)
	if err != nil {
		log.Fatal(err)
	}
	return rows
}

var langCountries = map[string][]string{
	"en": {"United States", "United Kingdom", "Canada", "Australia", "Ireland", "New Zealand", "India", "South Africa"},
	"de": {"Germany", "Austria", "Switzerland"},
	"fr": {"France", "Belgium", "Switzerland", "Canada"},
	"es": {"Spain", "Mexico", "Argentina", "Colombia", "Chile", "Peru"},
}

func uniq(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if x != "" && (i == 0 || x != xs[i-1]) {
			out = append(out, x)
		}
	}
	return out
}

func loadPools(src string, test bool) *pools {
	p := &pools{first: map[string][]string{}, last: map[string][]string{}, city: map[string][]string{},
		region: map[string][]string{}, regionCode: map[string][]string{}, street: map[string][]string{}}
	path := func(n string) string { return filepath.Join(src, n) }
	ssa := readCSV(path("first_names_us_ssa.csv"))
	sort.SliceStable(ssa, func(i, j int) bool { return atoi(ssa[i][2]) > atoi(ssa[j][2]) })
	var enFirst []string
	for i, r := range ssa {
		if i >= 6000 {
			break
		}
		if keep(r[0], test) {
			enFirst = append(enFirst, r[0])
		}
	}
	var enLast []string
	for i, r := range readCSV(path("surnames_us_census1990.csv")) {
		if i >= 25000 {
			break
		}
		if keep(r[0], test) {
			enLast = append(enLast, titleCase(r[0]))
		}
	}
	p.first["en"], p.last["en"] = enFirst, enLast
	for lang, l := range map[string][2]string{"de": {deFirst, deLast}, "fr": {frFirst, frLast}, "es": {esFirst, esLast}} {
		for _, f := range strings.Fields(l[0]) {
			if keep(f, test) {
				p.first[lang] = append(p.first[lang], f)
			}
		}
		for _, f := range strings.Fields(l[1]) {
			if keep(f, test) {
				p.last[lang] = append(p.last[lang], strings.ReplaceAll(f, "_", " "))
			}
		}
	}
	inLang := map[string][]string{}
	for lang, cs := range langCountries {
		for _, c := range cs {
			inLang[c] = append(inLang[c], lang)
		}
	}
	for _, r := range readCSV(path("world_cities_geonames15000.csv")) {
		for _, lang := range inLang[r[1]] {
			if keep(r[0], test) && !strings.ContainsAny(r[0], "()") {
				p.city[lang] = append(p.city[lang], r[0])
			}
			if keep(r[2], test) && r[2] != "" && !strings.ContainsAny(r[2], "()0123456789") {
				p.region[lang] = append(p.region[lang], r[2])
			}
		}
	}
	for _, r := range readCSV(path("states_provinces_libpostal.csv")) {
		code := strings.Trim(r[1], `"`)
		if (r[0] == "US" || r[0] == "CA") && len(code) == 2 && r[2] == "en" {
			p.regionCode["en"] = append(p.regionCode["en"], code)
			p.region["en"] = append(p.region["en"], r[3])
		}
	}
	for k := range p.city {
		p.city[k] = uniq(p.city[k])
		p.region[k] = uniq(p.region[k])
	}
	p.regionCode["en"] = uniq(p.regionCode["en"])
	// Street name stems: surnames, given names, trees and plain words.
	for lang := range langCountries {
		var st []string
		for i, n := range p.last[lang] {
			if i%7 == 0 {
				st = append(st, n)
			}
		}
		for _, w := range strings.Fields(streetWords[lang]) {
			if keep(w, test) {
				st = append(st, strings.ReplaceAll(w, "_", " "))
			}
		}
		p.street[lang] = st
	}
	return p
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func titleCase(s string) string {
	s = strings.ToLower(s)
	if s == "" {
		return s
	}
	if strings.HasPrefix(s, "mc") && len(s) > 2 {
		return "Mc" + strings.ToUpper(s[2:3]) + s[3:]
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var streetWords = map[string]string{
	"en": `Main Oak Maple Pine Cedar Elm Washington Lincoln Park Lake Hill Church High Mill Spring River Sunset Highland Forest
	Meadow Willow Walnut Chestnut Cherry Broad Market Union Center Franklin Jefferson Madison Adams Jackson Grove Ridge Valley
	King Queen Victoria Albert Station Bridge Green Fairview Lakeview Woodland Orchard Prospect Pleasant Liberty Front Water
	First Second Third Fourth Fifth Sixth Seventh Eighth Ninth Tenth 1st 2nd 3rd 4th 5th 12th 21st 42nd Harbor Bay Ocean
	Beacon Commerce Industrial College University Academy Mountain Rose Magnolia Dogwood Hickory Sycamore Birch Aspen Laurel`,
	"de": `Haupt Bahnhof Schiller Goethe Mozart Beethoven Linden Birken Eichen Kirch Schul Garten Berg Wald Feld Wiesen Mühlen
	Rosen Tannen Buchen Friedrich Wilhelm Kaiser König Markt Ring Park See Bach Sonnen Blumen Post Rathaus Frieden Luisen
	Bismarck Heine Kant Lessing Uhland Herder Wagner Schubert Dorf Hof Anger Brunnen`,
	"fr": `de_la_Paix Victor_Hugo Jean_Jaurès de_la_République du_Général_de_Gaulle Pasteur des_Lilas des_Écoles du_Moulin
	de_la_Gare Voltaire Gambetta Émile_Zola de_Verdun Carnot Foch Jean_Moulin des_Acacias du_Château de_l'Église
	Saint-Michel Saint-Honoré Montaigne Molière de_Rivoli des_Fleurs du_Marché de_la_Liberté Lafayette`,
	"es": `Mayor Real Gran_Vía de_Alcalá del_Sol San_Juan Santa_María de_la_Constitución de_Cervantes Colón Pío_XII
	de_los_Reyes Libertad Reforma Juárez Hidalgo Morelos Independencia de_la_Paz del_Carmen de_Goya Velázquez Serrano
	de_Andalucía del_Mar de_las_Flores San_Martín Bolívar Sarmiento`,
}

const (
	deFirst = `Hans Peter Klaus Jürgen Wolfgang Stefan Andreas Michael Thomas Uwe Dieter Günter Horst Helmut Ursula Monika Petra
	Sabine Renate Brigitte Ingrid Karin Gisela Heike Anja Katrin Birgit Claudia Lukas Leon Finn Jonas Felix Maximilian Lena
	Leonie Hannah Mia Emilia Sophie Marie Anna Laura Lea Tobias Sebastian Florian Matthias Jan Tim Niklas Paul Ben Elias Noah
	Luisa Johanna Clara Greta Ida Frieda Mathilda Charlotte Jana Julia Franziska Katharina Susanne Andrea Martina Silke
	Bernd Rainer Manfred Werner Heinz Gerhard Karl Otto Friedrich Volker Holger Sven Dirk Jörg Kai Björn Lars Nils Ole`
	deLast = `Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf
	Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann
	Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich
	Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus
	Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich`
	frFirst = `Jean Pierre Michel Philippe Alain Nicolas Jacques Bernard François Christophe Patrick Éric Laurent Sébastien Olivier
	Julien Antoine Mathieu Guillaume Thibault Amélie Camille Chloé Élodie Nathalie Isabelle Sylvie Catherine Françoise
	Valérie Sandrine Céline Manon Juliette Inès Léa Hugo Louis Gabriel Arthur Raphaël Jules Adam Lucas Théo Nathan Emma
	Louise Alice Jade Lina Rose Anna Mila Ambre Margaux Océane Pauline Mathilde Clémence Hélène Marine Aurélie Jean-Pierre
	Jean-Luc Marie-Claire Anne-Sophie Yves Gérard Didier Thierry Pascal Frédéric Stéphane Benoît Loïc Cédric Yann`
	frLast = `Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia David
	Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet François Martinez Legrand
	Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez
	Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël
	Meyer Lucas Meunier Jean Perez Marchand Dufour Blanchard Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez`
	esFirst = `José Antonio Manuel Francisco Juan Javier Jesús Carlos Miguel Rafael Pedro Alejandro Fernando Pablo Sergio Jorge
	Alberto Luis Álvaro Diego María Carmen Ana Isabel Dolores Pilar Teresa Rosa Lucía Marta Cristina Elena Paula Sara
	Raquel Beatriz Alba Nerea Andrés Ramón Enrique Vicente Joaquín Santiago Mateo Hugo Martín Daniel Adrián Iván Rubén
	Óscar Guadalupe Verónica Patricia Sofía Valentina Camila Ximena Mariana Gabriela Daniela Andrea Natalia Claudia Silvia
	Mercedes Consuelo Inmaculada Montserrat Nuria Rocío Esperanza Josefa Francisca Gonzalo Ignacio Emilio Julio Tomás`
	esLast = `García González Rodríguez Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno
	Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales
	Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos Lozano Guerrero
	Cano Prieto Méndez Cruz Calvo Gallego Vidal León Márquez Herrera Peña Flores Cabrera Campos Vega Fuentes Carrasco Diez
	Reyes Caballero Nieto Aguilar Pascual Santana Herrero Montero Lorenzo Hidalgo Giménez Ibáñez Ferrer Durán Santiago
	Benítez Mora Vicente Vargas Arias Carmona Crespo Román Pastor Soto Sáez Velasco Moya Soler Parra Esteban Bravo
	de_la_Cruz del_Río de_la_Fuente`
)
